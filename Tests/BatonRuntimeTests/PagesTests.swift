import BatonLog
import BatonModel
import BatonStorage
import BatonTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The pages under `/ui` of a running `baton run --demo-workers --gateway-port` (issue 15):
/// processes, a process with its diagram and counts, an instance at a journal position
/// (time travel) and the incidents page with a retry, behind the gateway's credentials;
/// screenshots by headless Chromium under .build/screenshots when it is installed.
@Suite(.serialized)
struct PagesTests {
    let cli = CommandLineTests()

    /// GET or POST (a form) with HTTP Basic `demo:s3cret` unless `anonymous`; status and body.
    func request(_ url: String, form: String? = nil, anonymous: Bool = false) -> (status: Int, body: String) {
        let script = """
            import base64, sys, urllib.request, urllib.error
            class NoRedirect(urllib.request.HTTPRedirectHandler):
                def redirect_request(self, *args): return None
            request = urllib.request.Request(sys.argv[1], data=sys.argv[2].encode() if sys.argv[2] != "-" else None)
            if sys.argv[3] == "yes": request.add_header("Authorization", "Basic " + base64.b64encode(b"demo:s3cret").decode())
            try:
                response = urllib.request.build_opener(NoRedirect).open(request, timeout=30)
                status, body = response.status, response.read()
            except urllib.error.HTTPError as error:
                status, body = error.code, error.read()
            sys.stdout.write(str(status) + "\\n" + body.decode())
            """
        let result = cli.shell("python3 -c '\(script.replacingQuotes())' '\(url)' '\(form ?? "-")' \(anonymous ? "no" : "yes")")
        let lines = result.output.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
        return (Int(lines.first ?? "") ?? -1, lines.count > 1 ? String(lines[1]) : "")
    }

    /// Polls `url` until its body contains `text` (60 s at most); the last body.
    func waitFor(_ url: String, _ text: String) async throws -> String {
        let deadline = ContinuousClock.now + .seconds(60)
        var body = ""
        while ContinuousClock.now < deadline {
            body = request(url).body
            if body.contains(text) { break }
            try await Task.sleep(for: .milliseconds(200))
        }
        return body
    }

    /// The text between `before` and the next `after` in `body`.
    func between(_ body: String, _ before: String, _ after: String) -> String? {
        guard let start = body.firstRange(of: before)?.upperBound, let end = body[start...].firstRange(of: after)?.lowerBound else { return nil }
        return String(body[start..<end])
    }

    @Test func pagesShowProcessesInstancesAtAPositionAndRetryIncidents() async throws {
        let directory = TemporaryDirectory("baton-pages")
        defer { directory.remove() }
        try writeFile(directory.path + "/credentials", Array("basic demo:s3cret\n".utf8))
        let output = directory.path + "/run.out"
        let run = try ChildProcess.spawn(
            CommandLineTests.binary, ["run", "--demo-workers", "--gateway-port", "0", "--credentials", directory.path + "/credentials", "--data-dir", directory.path + "/data"],
            output: output, errorsToOutput: true)
        defer {
            run.kill(SIGTERM)
            _ = run.wait()
        }
        let engineRest = try #require(try await GatewayTests.address(printedBy: run, in: output))
        let root = String(engineRest.dropLast(GatewayTests.RunningGateway.engineRestPath.count)) + "/ui"
        #expect(cli.baton("deploy '\(TestFiles.examples)/order-process.bpmn' --data-dir '\(directory.path)/data'").status == 0)
        // order-37's payment always fails (the demo's payment service): an incident.
        for order in ["order-1", "order-37"] {
            #expect(cli.baton("start order-process --correlation-id \(order) --vars '{\"order\":{\"total\":500}}' --data-dir '\(directory.path)/data'").status == 0)
        }

        // Behind the gateway's credentials.
        #expect(request(root, anonymous: true).status == 401)
        let incidents = try await waitFor(root + "/incidents", "order-37")
        #expect(incidents.contains("Open incidents (1)") && incidents.contains("payment service unavailable"), "\(incidents.prefix(2000))")

        let processes = request(root)
        #expect(processes.status == 200)
        #expect(processes.body.contains("<td>order-process</a></td><td>1</td><td>bpmn/order-process.bpmn</td><td>1</td><td class=\"alert\">1</td>") || processes.body.contains(">order-process</a></td><td>1</td>"), "\(processes.body)")

        // The process: its diagram with a token and an incident at ChargePayment.
        let process = request(root + "/processes/order-process")
        #expect(process.status == 200 && process.body.contains("<svg "))
        let charge = try #require(between(process.body, "data-element-id=\"ChargePayment\"", "</g></g>"), "\(process.body.prefix(500))")
        #expect(charge.contains("class=\"badge tokens\"") && charge.contains("class=\"badge incidents\""), "\(charge)")
        #expect(process.body.contains("<g class=\"shape serviceTask incident") && process.body.contains("1 active instance(s)"))
        #expect(request(root + "/processes/nope").status == 404)

        // The instance now, and the last journal position it was touched at.
        let live = request(root + "/instances/order-37").body
        let now = try #require(between(live, "<p>Now: ", "</p>"), "\(live.prefix(1500))")
        #expect(now.contains("tokens at ChargePayment, ReserveInventory") || now.contains("tokens at ReserveInventory, ChargePayment") || now.contains("ChargePayment"), "\(now)")
        let variables = try #require(between(live, "<h2>Variables</h2><pre>", "</pre>"))
        let last = try #require(between(live, "max=\"", "\"").flatMap { Int64($0) })

        // Retry through the page: a new attempt, and (the service still failing) a new incident.
        let key = try #require(between(incidents, "<input type=\"hidden\" name=\"incident\" value=\"", "\""))
        let retried = request(root + "/incidents/retry", form: "incident=\(key)&retries=2")
        #expect(retried.status == 303, "\(retried.body)")
        #expect(request(root + "/incidents/retry", form: "incident=\(key)", anonymous: true).status == 401)
        #expect(request(root + "/incidents/retry", form: "retries=x&all=true").status == 400)
        let after = try await waitFor(root + "/instances/order-37", "resolved")
        #expect(after.contains("incident \(key) resolved"), "\(after.suffix(3000))")

        // Time travel: the page at the position the live page showed is what it showed then.
        let past = request(root + "/instances/order-37?position=\(last)").body
        #expect(between(past, "<p>As it was after journal position \(last): ", "</p>") == now, "\(past.prefix(1500))")
        #expect(between(past, "<h2>Variables</h2><pre>", "</pre>") == variables)
        #expect(!(between(past, "<h2>History</h2>", "</table>") ?? "").contains("resolved"))
        #expect(request(root + "/instances/order-37?position=-4").status == 400)
        #expect(request(root + "/instances/nobody").status == 404)
        #expect(request(root + "/instances/" + String(repeating: "x", count: 1100)).status == 400)
        #expect(request(root + "/processes/order-process?version=x").status == 404)

        // Screenshots for people (and the README), when Chromium is installed.
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: TestFiles.exists)
        guard let chromium else {
            print("chromium is not installed (make test installs it): page screenshots skipped")
            return
        }
        let shots = TestFiles.packageRoot + "/.build/screenshots"
        try POSIX.makeDirectories(shots)
        let open = root.replacingOccurrences(of: "http://", with: "http://demo:s3cret@")
        for (name, path) in [("processes", ""), ("process", "/processes/order-process"), ("instance", "/instances/order-37?position=\(last)"), ("incidents", "/incidents")] {
            let file = "\(shots)/\(name).png"
            POSIX.remove(file)
            _ = cli.shell("timeout 60 '\(chromium)' --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1300,1000 --screenshot='\(file)' '\(open)\(path)'")
            #expect(((try? POSIX.readFile(file)) ?? []).starts(with: [0x89, 0x50, 0x4E, 0x47]), "no PNG screenshot of the \(name) page at \(file)")
        }
        // Chromium itself clicks Retry on the incidents page (the payment service still
        // fails, so the incident came back after its retries).
        _ = try await waitFor(root + "/incidents", "Open incidents (1)")
        let clicked = cli.shell("timeout 120 python3 '\(TestFiles.packageRoot)/Tests/Clients/browser_retry.py' '\(chromium)' '\(open)/incidents' '\(shots)/incidents-retried.png'")
        #expect(clicked.status == 0 && clicked.output.contains("/ui/incidents?retried=1") && clicked.output.contains("Asked to retry 1 incident(s)"), "\(clicked.output)")
        let history = try await waitFor(root + "/instances/order-37", "resolved</code>")
        #expect(history.ranges(of: " resolved</code>").count >= 2, "\(history.suffix(2000))")
    }
}

extension String {
    /// For a single-quoted shell argument: every `'` closed, escaped and reopened.
    func replacingQuotes() -> String {
        split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''")
    }

    func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
