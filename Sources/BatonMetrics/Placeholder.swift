import Prometheus
import NIOHTTP1
import BatonLog
