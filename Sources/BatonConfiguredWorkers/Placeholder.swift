import AsyncHTTPClient
import Subprocess
import Yams
import BatonWorker
