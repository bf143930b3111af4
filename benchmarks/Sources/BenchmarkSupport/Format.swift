#if canImport(Glibc)
import Glibc
#endif

/// A whole number with thousands separators (`1,234,567`).
public func format(_ value: Double) -> String {
    var digits = String(Int(value.rounded()))
    var index = digits.count - 3
    while index > (digits.hasPrefix("-") ? 1 : 0) {
        digits.insert(",", at: digits.index(digits.startIndex, offsetBy: index))
        index -= 3
    }
    return digits
}

/// A ratio with two decimals.
public func format2(_ value: Double) -> String { String(Double(Int((value * 100).rounded())) / 100) }

/// Seconds on the monotonic clock, for timing benchmark phases.
public func seconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
}

/// A process with one service task of topic `work`: the unit of the end-to-end benchmarks.
public let oneTaskBPMN = """
    <?xml version="1.0" encoding="UTF-8"?>
    <bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d" targetNamespace="t">
    <bpmn:process id="one-task" isExecutable="true">
    <bpmn:startEvent id="s"/><bpmn:serviceTask id="work"><bpmn:extensionElements><zeebe:taskDefinition type="work"/></bpmn:extensionElements></bpmn:serviceTask><bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="work"/><bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="e"/>
    </bpmn:process></bpmn:definitions>
    """

/// CPU seconds (user + system) this process has used so far, every thread included.
public func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    func seconds(_ time: timeval) -> Double { Double(time.tv_sec) + Double(time.tv_usec) / 1e6 }
    return seconds(usage.ru_utime) + seconds(usage.ru_stime)
}

/// The most memory this process has held in RAM so far (max RSS), in KiB.
public func peakResidentKilobytes() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss
}
