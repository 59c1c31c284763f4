#!/usr/bin/env python3
"""Writes the hostile scenario catalogue: one file per case, its first line the expected
outcome. `@` at the start of a line marks the line the problem must be located on.
Run from this folder: python3 generate.py (the .toml files are committed; this keeps
them consistent)."""
import os

HEAD = '''name = "hostile"
[app]
image = "phoenix-demo:latest"
port = 8080
replicas = 2
'''
LOAD = '''[load]
rate = 10
duration = "5s"
'''
FAULT = '''[[fault]]
at = "1s"
kind = "kill"
target = "app-0"
'''
GOOD = HEAD + LOAD + FAULT


def app(extra):
    return HEAD + extra + LOAD + FAULT


def load(extra):
    return HEAD + LOAD + extra + FAULT


def step(line):
    return GOOD + '[[check]]\nname = "c"\n[[check.setup]]\n' + line + '\n[[check.verify]]\npath = "/"\n'


def upload(path):
    return step('path = "/up"\n@multipart = { file = "%s" }' % path)


def service(lines):
    return GOOD + '[[service]]\n' + lines + '\n'


CASES = {
    # --- A. paths stay inside the project -------------------------------------------------
    "upload-absolute": (upload("/etc/passwd"), "check[0].setup[0].multipart.file", "is an absolute path"),
    "upload-dotdot": (upload("../../../../../../../../etc/passwd"), "check[0].setup[0].multipart.file", "outside the project"),
    "upload-proc-self-environ": (upload("/proc/self/environ"), "check[0].setup[0].multipart.file", "absolute path"),
    "upload-dotdot-proc": (upload("../../../../../../../../proc/self/environ"), "check[0].setup[0].multipart.file", "outside the project"),
    "upload-symlink-out": (upload("files/passwd-link"), "check[0].setup[0].multipart.file", "outside the project"),
    "upload-symlink-environ": (upload("files/environ-link"), "check[0].setup[0].multipart.file", "outside the project"),
    "upload-symlink-loop": (upload("files/loop-a"), "check[0].setup[0].multipart.file", "symbolic links"),
    "upload-in-git": (upload("../../.git"), "check[0].setup[0].multipart.file", "inside the project's .git"),
    "upload-folder": (upload("files"), "check[0].setup[0].multipart.file", "not a regular file"),
    "upload-dev-zero": (upload("/dev/zero"), "check[0].setup[0].multipart.file", "absolute path"),
    "upload-missing": (upload("files/missing.bin"), "check[0].setup[0].multipart.file", "No such file"),
    "upload-empty-path": (upload(""), "check[0].setup[0].multipart.file", "is empty"),
    "upload-nul": (upload("files/a\\u0000b"), "check[0].setup[0].multipart.file", "NUL"),
    "build-context-absolute": (app('@build = { context = "/etc" }\n'), "app.build.context", "absolute path"),
    "build-context-dotdot": (app('@build = { context = "../../../../../../.." }\n'), "app.build.context", "outside the project"),
    "build-context-symlink-out": (app('@build = { context = "files/etc-link" }\n'), "app.build.context", "outside the project"),
    "build-context-git": (app('@build = { context = "../../.git" }\n'), "app.build.context", ".git"),
    "build-context-a-file": (app('@build = { context = "files/small.bin" }\n'), "app.build.context", "not a folder"),
    "dockerfile-dotdot": (app('@build = { context = "../../scenarios/apps/demo", dockerfile = "../../../../../../../etc/passwd" }\n'), "app.build.dockerfile", "outside the project"),
    "dockerfile-absolute": (app('@build = { context = "../../scenarios/apps/demo", dockerfile = "/etc/shadow" }\n'), "app.build.dockerfile", "absolute path"),
    "dockerfile-outside-context": (app('@build = { context = "../../scenarios/apps/demo", dockerfile = "../../../Cargo.toml" }\n'), "app.build.dockerfile", "outside the build context"),
    "recipe-absolute": (service('name = "db"\nimage = "redis:7"\n@recipe = "/usr/bin"'), "service[0].recipe", "absolute path"),
    "recipe-dotdot": (service('name = "db"\nimage = "redis:7"\n@recipe = "../../../../../../../tmp"'), "service[0].recipe", "outside the project"),
    "recipe-without-build-sh": (service('name = "db"\nimage = "redis:7"\n@recipe = "files"'), "service[0].recipe", "build.sh"),
    "recipe-build-sh-symlink-out": (service('name = "db"\nimage = "redis:7"\n@recipe = "files/evil-recipe"'), "service[0].recipe", "outside the project"),
    "front-recipe-absolute": (GOOD + '[front]\nkind = "haproxy"\n@recipe = "/etc"\n', "front.recipe", "absolute path"),
    # --- B. nothing reaches a request line or header raw ------------------------------------
    "health-path-crlf": (app('@health = { path = "/health\\r\\nX-Evil: 1" }\n'), "app.health.path", "line break"),
    "health-path-second-request": (app('@health = { path = "/ HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nGET /admin" }\n'), "app.health.path", "contains"),
    "health-path-space": (app('@health = { path = "/health check" }\n'), "app.health.path", "a space"),
    "health-path-relative": (app('@health = { path = "health" }\n'), "app.health.path", "must start with '/'"),
    "health-path-nul": (app('@health = { path = "/h\\u0000" }\n'), "app.health.path", "NUL"),
    "health-path-url": (app('@health = { path = "http://10.0.0.1/health" }\n'), "app.health.path", "is not a path"),
    "health-path-non-ascii": (app('@health = { path = "/h\u00e9alth" }\n'), "app.health.path", "outside visible ASCII"),
    "health-path-fragment": (app('@health = { path = "/health#x" }\n'), "app.health.path", "fragment"),
    "health-path-tab": (app('@health = { path = "/health\\t" }\n'), "app.health.path", "control character"),
    "health-path-too-long": (app('@health = { path = "/%s" }\n' % ("a" * 3000)), "app.health.path", "over the limit of 2048"),
    "load-path-crlf": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "/\\r\\nHost: evil" }]\n') + FAULT, "load.requests[0].path", "line break"),
    "load-path-url": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "http://169.254.169.254/" }]\n') + FAULT, "load.requests[0].path", "is not a path"),
    "load-method-injection": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ method = "GET / HTTP/1.1\\r\\nX: y", path = "/" }]\n') + FAULT, "load.requests[0].method", "unknown method"),
    "load-header-name-crlf": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "/", headers = { "X-A\\r\\nX-B" = "1" } }]\n') + FAULT, "load.requests[0].headers.X-A\\x0d\\x0aX-B", "not a valid header name"),
    "load-header-value-crlf": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "/", headers = { X-A = "1\\r\\nX-B: 2" } }]\n') + FAULT, "load.requests[0].headers.X-A", "not a valid header value"),
    "load-header-value-nul": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "/", headers = { X-A = "a\\u0000b" } }]\n') + FAULT, "load.requests[0].headers.X-A", "not a valid header value"),
    "load-header-host": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "/", headers = { Host = "evil.example" } }]\n') + FAULT, "load.requests[0].headers.Host", "set by the harness"),
    "load-header-content-length": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "/", headers = { Content-Length = "0" } }]\n') + FAULT, "load.requests[0].headers.Content-Length", "set by the harness"),
    "check-path-crlf": (step('@path = "/me\\r\\nX-Evil: 1"'), "check[0].setup[0].path", "line break"),
    "check-path-space-after-template": (step('@path = "/files/{{n}} HTTP/1.0"'), "check[0].setup[0].path", "a space"),
    "check-path-url": (step('@path = "http://evil.example/x"'), "check[0].setup[0].path", "is not a path"),
    "check-method-unknown": (step('path = "/"\n@method = "TRACE"'), "check[0].setup[0].method", "unknown method"),
    "check-header-value-crlf": (step('path = "/"\n@headers = { Cookie = "sid={{n}}\\r\\nX-Evil: 1" }'), "check[0].setup[0].headers.Cookie", "not a valid header value"),
    "check-header-name-space": (step('path = "/"\n@headers = { "Bad Name" = "1" }'), "check[0].setup[0].headers.Bad Name", "not a valid header name"),
    "multipart-filename-crlf": (step('path = "/up"\n@multipart = { bytes = 16, filename = "a\\r\\nContent-Type: x" }'), "check[0].setup[0].multipart.filename", "control characters"),
    # --- C. what is echoed is escaped ------------------------------------------------------
    "ansi-in-unknown-key": ('@"\\u001b[2K\\u001b[1Gok" = 1\n' + GOOD, "\\x1b[2K\\x1b[1Gok", "unknown field"),
    "ansi-in-name": ('@name = "\\u001b[31mred\\u001b[0m"\n' + GOOD.split("\n", 1)[1], "name", "cannot name a report folder"),
    "bidi-override-in-name": ('@name = "report\\u202Etxt.exe"\n' + GOOD.split("\n", 1)[1], "name", "cannot name a report folder"),
    "bidi-isolate-in-env-key": (app('@env = { "A\\u2066B" = "1" }\n'), "app.env.A\\u{2066}B", "not a valid variable name"),
    "c1-csi-in-image": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "x\\u009b31m"'), "app.image", "not a Docker image reference"),
    "del-in-service-name": (service('@name = "db\\u007f"\nimage = "redis:7"'), "service[0].name", "not a valid host name"),
    "forged-ok-line-in-key": (HEAD + LOAD + '@"x\\r\\nscenarios/kill-restart.toml: ok" = 1\n' + FAULT, "load.x\\x0d\\x0ascenarios/kill-restart.toml: ok", "unknown field"),
    "osc-title-in-fault-target": (GOOD.replace('target = "app-0"', '@target = "\\u001b]0;pwned\\u0007"'), "fault[0].target", "no replica named"),
    "zero-width-in-require": ('name = "hostile"\n@require = "resilient\\u200b"\n' + GOOD.split("\n", 1)[1], "require", "unknown level"),
    "long-unknown-key": ('@%s = 1\n' % ("k" * 5000) + GOOD, "kkkkkkkkkk...", "unknown field"),
    "ansi-in-description": ('name = "hostile"\n@description = "ok\\u001b[2J"\n' + GOOD.split("\n", 1)[1], "description", "control"),
    "raw-esc-in-string": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "phoenix\x1b[2J"'), "app.image", ""),
    "raw-bidi-in-string": (GOOD.replace('target = "app-0"', '@target = "app-0\u202e"'), "fault[0].target", "no replica named"),
    "raw-lone-cr-in-value": (GOOD.replace('rate = 10', '@rate = 1\r0'), "load.rate", ""),
    # --- D. bounded validation -------------------------------------------------------------
    "deep-nesting-arrays": ('@x = ' + "[" * 10000 + "]" * 10000 + '\n' + GOOD, "x", "nest deeper than 32"),
    "deep-nesting-inline-tables": (app('@env = ' + "{a=" * 2000 + "1" + "}" * 2000 + '\n'), "app.env", "nest deeper than 32"),
    "deep-dotted-key": (app('@env.%s = "1"\n' % ".".join(["a"] * 5000)), "app.env.a.a.a.a...", "more than 32 dotted parts"),
    "deep-dotted-header": (GOOD + '@[%s]\nx = 1\n' % ".".join(["t"] * 5000), "t.t.t.t...", "more than 32 dotted parts"),
    "ten-thousand-volumes": (app('@volumes = [' + ", ".join('"v%d:/d%d"' % (i, i) for i in range(10000)) + ']\n'), "app.volumes", "over the limit of 32"),
    "ten-thousand-env": (app('@env = { ' + ", ".join('V%d = "1"' % i for i in range(10000)) + ' }\n'), "app.env", "over the limit of 256"),
    "duplicate-key": (GOOD.replace('rate = 10\n', 'rate = 10\n@rate = 20\n'), "load.rate", "duplicate key"),
    "duplicate-table": (GOOD + '@[app]\nimage = "x:1"\nport = 1\n', "app", "duplicate"),
    "huge-integer-port": (GOOD.replace('port = 8080', '@port = 99999999999999999999999999'), "app.port", ""),
    "huge-float-rate": (GOOD.replace('rate = 10', '@rate = 1e308'), "load.rate", "above the limit"),
    "nan-rate": (GOOD.replace('rate = 10', '@rate = nan'), "load.rate", "not a positive rate"),
    "inf-rate": (GOOD.replace('rate = 10', '@rate = inf'), "load.rate", "not a positive rate"),
    "duration-1e400": (GOOD.replace('duration = "5s"', '@duration = "1e400s"'), "load.duration", "unit"),
    "duration-huge-hours": (GOOD.replace('duration = "5s"', '@duration = "99999999999999h"'), "load.duration", "too long"),
    "trials-i64-max": ('name = "hostile"\n@trials = 9223372036854775807\n' + GOOD.split("\n", 1)[1], "trials", "out of range"),
    "replicas-negative": (GOOD.replace('replicas = 2', '@replicas = -1'), "app.replicas", "out of range"),
    "in-flight-huge": (GOOD.replace('duration = "5s"', 'duration = "5s"\n@max_in_flight = 1000000000'), "load.max_in_flight", "out of range"),
    "name-100-chars-200-bytes": ('@name = "%s"\n' % ("\u00e9" * 60) + GOOD.split("\n", 1)[1], "name", "over the limit of 100 bytes"),
    # --- E. resource bounds -----------------------------------------------------------------
    "planned-requests-over-budget": (GOOD.replace('rate = 10', '@rate = 20000').replace('duration = "5s"', 'duration = "1h"'), "load.rate", "72000000 planned requests"),
    "trials-times-requests-over-budget": ('name = "hostile"\ntrials = 100\n' + GOOD.split("\n", 1)[1].replace('rate = 10', '@rate = 5000').replace('duration = "5s"', 'duration = "60s"'), "load.rate", "× 100 trial(s) = 30000000"),
    "journeys-times-upload-over-budget": (GOOD + '[[check]]\nname = "c"\n@journeys = 10000\n[[check.setup]]\npath = "/up"\nmultipart = { bytes = 10485760 }\n[[check.verify]]\npath = "/"\n', "check[0].journeys", "10000 journeys × 10485760 bytes"),
    "chaos-expands-past-limit": (GOOD.replace('replicas = 2', 'replicas = 16').replace('duration = "5s"', 'duration = "1h"') + '@[[fault]]\nat = "2s"\nkind = "chaos"\nfault = "kill"\ntarget = "all"\nevery = "1s"\ncount = 1000\n', "fault[1]", "over the limit of 1000"),
    "too-many-faults": (GOOD.replace('duration = "5s"', 'duration = "1h"').replace("[[fault]]", "@[[fault]]") + "".join('[[fault]]\nat = "%ds"\nkind = "kill"\ntarget = "app-1"\n' % (i + 2) for i in range(100)), "fault", "101 faults, over the limit of 100"),
    "too-many-services": (GOOD + "@" + "".join('[[service]]\nname = "s%d"\nimage = "redis:7"\n' % i for i in range(17)), "service", "17 services"),
    "too-many-steps": (GOOD + '[[check]]\nname = "c"\n@' + '[[check.setup]]\npath = "/"\n' * 65 + '[[check.verify]]\npath = "/"\n', "check[0].setup", "65 steps"),
    "too-many-headers": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ path = "/", headers = { %s } }]\n' % ", ".join('X-H%d = "1"' % i for i in range(65))) + FAULT, "load.requests[0].headers", "65 headers"),
    "load-body-too-big": (HEAD + LOAD.replace('duration = "5s"\n', 'duration = "5s"\n@requests = [{ method = "POST", path = "/", body = "%s" }]\n' % ("b" * 70000)) + FAULT, "load.requests[0].body", "over the limit of 65536"),
    # --- F. rules ---------------------------------------------------------------------------
    "image-upper-case": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "Phoenix-Demo:latest"'), "app.image", "not a Docker image reference"),
    "image-shell-metachar": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "x;rm -rf /"'), "app.image", "not a Docker image reference"),
    "image-short-digest": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "x@sha256:abc"'), "app.image", "not a Docker image reference"),
    "image-name-too-long": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "%s:1"' % ("a" * 300)), "app.image", "over Docker's limit of 255"),
    "image-tag-too-long": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "x:%s"' % ("t" * 200)), "app.image", "not a Docker image reference"),
    "service-image-empty": (service('name = "db"\n@image = ""'), "service[0].image", "is empty"),
    "front-image-bad": (GOOD + '[front]\nkind = "haproxy"\n@image = "-x"\n', "front.image", "not a Docker image reference"),
    "volume-root": (app('@volumes = ["data:/"]\n'), "app.volumes[0]", "root folder"),
    "volume-proc": (app('@volumes = ["data:/proc"]\n'), "app.volumes[0]", "inside /proc"),
    "volume-dotdot-sys": (app('@volumes = ["data:/data/../sys/kernel"]\n'), "app.volumes[0]", "inside /sys"),
    "volume-double-slash-dev": (app('@volumes = ["data://dev//shm"]\n'), "app.volumes[0]", "inside /dev"),
    "volume-options-smuggled": (app('@volumes = ["data:/data:rw,z"]\n'), "app.volumes[0]", "':'"),
    "env-name-dash": (app('@env = { "A-B" = "1" }\n'), "app.env.A-B", "not a valid variable name"),
    "env-name-digit-first": (app('@env = { "1A" = "1" }\n'), "app.env.1A", "not a valid variable name"),
    "env-name-equals": (app('@env = { "A=B" = "1" }\n'), "app.env.A=B", "not a valid variable name"),
    "env-value-nul": (app('@env = { A = "x\\u0000y" }\n'), "app.env.A", "NUL"),
    "service-env-name-bad": (service('name = "db"\nimage = "redis:7"\n@env = { "X Y" = "1" }'), "service[0].env.X Y", "not a valid variable name"),
    "service-env-value-nul": (service('name = "db"\nimage = "redis:7"\n@env = { X = "\\u0000" }'), "service[0].env.X", "NUL"),
    "command-empty-program": (app('@build = { context = "../../scenarios/apps/demo", command = [""] }\n'), "app.build.command", "names no program"),
    "command-empty": (app('@build = { context = "../../scenarios/apps/demo", command = [] }\n'), "app.build.command", "is empty"),
    "command-nul-argument": (app('@build = { context = "../../scenarios/apps/demo", command = ["bash", "a\\u0000b"] }\n'), "app.build.command", "NUL"),
    "fault-at-zero": (GOOD.replace('at = "1s"', '@at = "0s"'), "fault[0].at", "no baseline"),
    "fault-at-half-second": (GOOD.replace('at = "1s"', '@at = "500ms"'), "fault[0].at", "no baseline"),
    "fault-delay-past-end": (GOOD.replace('target = "app-0"', 'target = "app-0"\n@delay = "4s"'), "fault[0].delay", "at or after the end of the load"),
    "fault-delay-pushes-next": (GOOD.replace('target = "app-0"', 'target = "app-0"\ndelay = "3s"') + '[[fault]]\nat = "2s"\nkind = "kill"\ntarget = "app-1"\n@delay = "1s"\n', "fault[1].delay", "when fault[0]'s delay ends"),
    "fault-pause-past-end": (GOOD.replace('kind = "kill"', 'kind = "pause"').replace('target = "app-0"', 'target = "app-0"\n@for = "4500ms"'), "fault[0].for", "at or after the end of the load"),
    "health-status-500": (app('@health = { status = 500 }\n'), "app.health.status", "from 200 to 399"),
    "health-status-199": (app('@health = { status = 199 }\n'), "app.health.status", "from 200 to 399"),
    "name-dotdot": ('@name = ".."\n' + GOOD.split("\n", 1)[1], "name", "cannot name a report folder"),
    # --- G. a second author's set (the issue 10 audit): confusables, templating, numbers ----
    "bidi-in-description": ('name = "hostile"\n@description = "safe \\u202e gnp.exe"\n' + GOOD.split("\n", 1)[1], "description", "invisible formatting"),
    "zero-width-escaped-in-target": (GOOD.replace('target = "app-0"', '@target = "app-0\\u200b"'), "fault[0].target", "no replica named \"app-0\\u{200b}\""),
    "check-name-bidi": (GOOD + '[[check]]\n@name = "ok\\u2067evil"\n[[check.setup]]\npath = "/"\n[[check.verify]]\npath = "/"\n', "check[0].name", "invisible formatting"),
    "check-name-ansi": (GOOD + '[[check]]\n@name = "\\u001b[2K\\rok: certified"\n[[check.setup]]\npath = "/"\n[[check.verify]]\npath = "/"\n', "check[0].name", "control"),
    "check-name-too-long": (GOOD + '[[check]]\n@name = "%s"\n[[check.setup]]\npath = "/"\n[[check.verify]]\npath = "/"\n' % ("n" * 20000), "check[0].name", "20000 bytes, over the limit of 100"),
    "header-name-bidi": (load('@requests = [{ path = "/", headers = { "X-\\u202eA" = "1" } }]\n'), "load.requests[0].headers.X-\\u{202e}A", "not a valid header name"),
    "header-name-colon": (load('@requests = [{ path = "/", headers = { "X-A:b" = "1" } }]\n'), "load.requests[0].headers.X-A:b", "not a valid header name"),
    "load-path-c1-nel": (load('@requests = [{ path = "/a\\u0085b" }]\n'), "load.requests[0].path", "control character"),
    "load-path-backslash": (load('@requests = [{ path = "\\\\..\\\\etc" }]\n'), "load.requests[0].path", "must start with '/'"),
    "env-key-cyrillic-a": (app('@env = { "\u0410PP" = "1" }\n'), "app.env.\u0410PP", "not a valid variable name"),
    "env-key-umlaut": (app('@env = { "\u00c4PFEL" = "1" }\n'), "app.env.\u00c4PFEL", "not a valid variable name"),
    "volume-name-bidi": (app('@volumes = ["da\\u202eta:/data"]\n'), "app.volumes[0]", "is not \"name:/path\""),
    "service-name-cyrillic-a": (service('@name = "c\u0430che"\nimage = "redis:7"'), "service[0].name", "not a valid host name"),
    "image-fullwidth-hyphen": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "phoenix\uff0ddemo:latest"'), "app.image", "not a Docker image reference"),
    "check-method-empty": (step('path = "/"\n@method = ""'), "check[0].setup[0].method", "unknown method \"\""),
    "check-header-name-nul": (step('path = "/"\n@headers = { "X-A\\u0000" = "1" }'), "check[0].setup[0].headers.X-A\\x00", "not a valid header name"),
    "check-capture-name-braces": (step('path = "/"\n@capture = { "a}}b" = { cookie = "sid" } }'), "check[0].setup[0].capture", "cannot be used as a variable name"),
    "check-path-unknown-variable": (step('@path = "/{{nope}}"'), "check[0].setup[0].path", "which no earlier step captures"),
    "health-path-template": (app('@health = { path = "/h{{n}}" }\n'), "app.health.path", "the health probe does not render"),
    "load-template-run": (load('@requests = [{ path = "/a/{{run}}" }]\n'), "load.requests[0].path", "uses `{{run}}`, which a load request does not know"),
    "load-template-nested": (load('@requests = [{ path = "/a/{{{{n}}}}" }]\n'), "load.requests[0].path", "which a load request does not know"),
    "load-template-in-header-name": (load('@requests = [{ path = "/", headers = { "X-{{n}}" = "1" } }]\n'), "load.requests[0].headers.X-{{n}}", "not a valid header name"),
    "duration-twenty-digits": (GOOD.replace('duration = "5s"', '@duration = "99999999999999999999s"'), "load.duration", "too long"),
    "duration-negative": (GOOD.replace('duration = "5s"', '@duration = "-5s"'), "load.duration", "not a duration"),
    "duration-exponent": (GOOD.replace('duration = "5s"', '@duration = "1e3s"'), "load.duration", "unknown unit"),
    "fault-at-2-pow-32-hours": (GOOD.replace('at = "1s"', '@at = "4294967296h"'), "fault[0].at", "too long"),
    "rate-negative": (GOOD.replace('rate = 10', '@rate = -10'), "load.rate", "not a positive rate"),
    "rate-zero": (GOOD.replace('rate = 10', '@rate = 0'), "load.rate", "not a positive rate"),
    "trials-zero": ('name = "hostile"\n@trials = 0\n' + GOOD.split("\n", 1)[1], "trials", "out of range"),
    "health-status-400": (app('@health = { status = 400 }\n'), "app.health.status", "from 200 to 399"),
    "health-status-two-trillion": (app('@health = { status = 2000000000000 }\n'), "app.health.status", "from 200 to 399"),
    "health-interval-zero": (app('@health = { interval = "0ms" }\n'), "app.health.interval", "too short"),
    "load-timeout-zero": (load('@timeout = "0s"\n'), "load.timeout", "too short"),
    "max-in-flight-zero": (load('@max_in_flight = 0\n'), "load.max_in_flight", "out of range"),
    "weight-zero": (load('@requests = [{ path = "/", weight = 0 }]\n'), "load.requests[0].weight", "out of range"),
    "weight-u64-max": (load('@requests = [{ path = "/", weight = 18446744073709551615 }]\n'), "load.requests[0].weight", ""),
    "chaos-every-zero": (GOOD + '[[fault]]\nat = "2s"\nkind = "chaos"\nfault = "kill"\n@every = "0s"\ntarget = "random"\n', "fault[1].every", "too short"),
    "journeys-hundred-million": (GOOD + '[[check]]\nname = "c"\n@journeys = 100000000\n[[check.setup]]\npath = "/up"\nmultipart = { bytes = 4096 }\n[[check.verify]]\npath = "/"\n', "check[0].journeys", "out of range"),
    "pause-after-replace-delay-past-end": (GOOD.replace('target = "app-0"', 'target = "app-0"\nthen = "replace"\ndelay = "2s"') + '[[fault]]\nat = "2s"\nkind = "pause"\ntarget = "app-1"\n@for = "2500ms"\n', "fault[1].for", "at or after the end of the load"),
    "duplicate-key-inline-env": (app('@env = { A = "1", A = "2" }\n'), "app.env", "duplicate key"),
    "description-200-kb-line": ('name = "hostile"\n@description = "%s"\n' % ("A" * 200000) + GOOD.split("\n", 1)[1], "description", "200000 bytes, over the limit of 4096"),
    "crlf-lines-and-ansi-key": (GOOD.replace("\n", "\r\n") + '@"\\u001b[2K\\rok" = 1\r\n', "fault[0].\\x1b[2K\\x0dok", "unknown field"),
    "upload-symlink-chain": (upload("files/chain-1"), "check[0].setup[0].multipart.file", "outside the project"),
    "upload-dotdot-after-symlink": (upload("files/etc-link/../etc/passwd"), "check[0].setup[0].multipart.file", "resolves to /etc/passwd, outside the project"),
    "load-upload-dotdot-after-symlink": (load('@requests = [{ method = "POST", path = "/", multipart = { file = "files/etc-link/../etc/passwd" } }]\n'), "load.requests[0].multipart.file", "outside the project"),
    "build-context-dotdot-after-symlink": (app('@build = { context = "files/etc-link/.." }\n'), "app.build.context", "outside the project"),
    "upload-windows-drive-path": (upload("C:\\\\Windows\\\\win.ini"), "check[0].setup[0].multipart.file", "No such file"),
    "build-context-unc-path": (app('@build = { context = "\\\\\\\\server\\\\share" }\n'), "app.build.context", "No such file"),
    "compose-absolute": ('name = "hostile"\n[app]\n@compose = "/etc/passwd"\nservice = "web"\n' + LOAD + FAULT, "app.compose", "absolute path"),
    "compose-symlink-dev-zero": ('name = "hostile"\n[app]\n@compose = "files/dev-zero-link"\nservice = "web"\n' + LOAD + FAULT, "app.compose", "outside the project"),
    "compose-env-not-a-name": ('name = "hostile"\n[app]\ncompose = "files/small.bin"\nservice = "web"\n@compose_env = ["A=B"]\n' + LOAD + FAULT, "app.compose_env", "not a variable name"),
    "volume-dot-dev": (app('@volumes = ["v:/./dev/shm"]\n'), "app.volumes[0]", "inside /dev"),
    "volume-relative-target": (app('@volumes = ["v:data"]\n'), "app.volumes[0]", "not an absolute path"),
    "volume-empty-name": (app('@volumes = [":/data"]\n'), "app.volumes[0]", "is not \"name:/path\""),
    "volume-root-via-dotdot": (app('@volumes = ["v:/data/.."]\n'), "app.volumes[0]", "root folder"),
    "service-volume-proc-dotdot": (service('name = "db"\nimage = "redis:7"\n@volumes = ["v:/proc/../proc"]'), "service[0].volumes[0]", "inside /proc"),
    "name-101-bytes-of-emoji": ('@name = "%s"\n' % ("\U0001F525" * 25 + "a") + GOOD.split("\n", 1)[1], "name", "101 bytes, over the limit of 100 bytes"),
    "name-empty": ('@name = ""\n' + GOOD.split("\n", 1)[1], "name", "cannot name a report folder"),
    "service-command-empty-program": (service('name = "db"\nimage = "redis:7"\n@command = [""]'), "service[0].command", "names no program"),
    "service-ready-log-empty": (service('name = "db"\nimage = "redis:7"\n@ready_log = ""'), "service[0].ready_log", "waits for nothing"),
    "service-ready-log-line-break": (service('name = "db"\nimage = "redis:7"\n@ready_log = "Ready to accept\\nconnections"'), "service[0].ready_log", "line break"),
    "service-command-empty": (service('name = "db"\nimage = "redis:7"\n@command = []'), "service[0].command", "is empty"),
    "process-command-empty-program": ('name = "hostile"\n[app]\nbackend = "process"\n@command = ["", "{port}"]\n' + LOAD + FAULT, "app.command", "names no program"),
    "process-command-absolute": ('name = "hostile"\n[app]\nbackend = "process"\n@command = ["/bin/sh", "-c", "id", "{port}"]\n' + LOAD + FAULT, "app.command", "is an absolute path"),
    "process-command-symlink-out": ('name = "hostile"\n[app]\nbackend = "process"\n@command = ["files/etc-link/passwd", "{port}"]\n' + LOAD + FAULT, "app.command", "outside the project"),
    "process-command-dangling-symlink": ('name = "hostile"\n[app]\nbackend = "process"\n@command = ["files/dangling-out", "{port}"]\n' + LOAD + FAULT, "app.command", "symbolic link whose target does not exist"),
    "front-none-with-garbage": (GOOD + '[front]\nkind = "none"\n@image = "\\u001b[2J"\nrecipe = "/etc"\ncheck_interval = "-1s"\nfall = -5\nretries = 99999999999\nredispatch = true\n', "front.image", "does not apply to kind"),
    "front-health-path-quote": (app('@health = { path = "/h\\"x" }\n') + '[front]\nkind = "haproxy"\n', "app.health.path", "HAProxy configuration"),
    "process-with-image": ('name = "hostile"\n[app]\nbackend = "process"\ncommand = ["files/small.bin", "{port}"]\n@image = "x"\n' + LOAD + FAULT, "app.image", "does not apply"),
    "process-burn": ('name = "hostile"\n[app]\nbackend = "process"\ncommand = ["files/small.bin", "{port}"]\n' + LOAD + '[[fault]]\nat = "1s"\n@kind = "burn"\ntarget = "all"\n', "fault[0].kind", "not supported with backend = \"process\""),
    "image-digest-not-hex": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "phoenix-demo@sha256:%s"' % ("Z" * 64)), "app.image", "not a Docker image reference"),
    "image-double-colon": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "x::y"'), "app.image", "not a Docker image reference"),
    "image-double-slash": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "a//b"'), "app.image", "not a Docker image reference"),
    "image-trailing-separator": (GOOD.replace('image = "phoenix-demo:latest"', '@image = "a__b-"'), "app.image", "not a Docker image reference"),
    "audit-ephemeral-dotdot": (GOOD + '[audit]\n@ephemeral = ["/tmp/.."]\n', "audit.ephemeral[0]", "component"),
    "audit-volatile-10-kb": (GOOD + '[audit]\n@volatile = ["$%s"]\n' % (".a" * 5000), "audit.volatile[0]", "over the limit of 256"),
}


# ~200 KB files: the TOML parser alone takes ~0.2 s of them in a debug build
SLOW = {"ten-thousand-env": 2000, "ten-thousand-volumes": 2000, "description-200-kb-line": 2000}


# --- compose files: `compose-<name>.toml` names `compose-<name>.yml` beside it, where the
# problem is located (`@` marks its line in the YAML)
COMPOSE_HEAD = 'version: "3"\nservices:\n  web:\n    image: phoenix-demo:latest\n    expose: ["8080"]\n'
DEP = '  redis:\n    image: phoenix/redis:bookworm\n'


def laughs(levels):
    lines = ['x-a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append("x-a%d: &a%d [%s]" % (i, i, ", ".join(["*a%d" % (i - 1)] * 9)))
    return lines


def billion_laughs():
    lines = laughs(9)
    lines[5] = "@" + lines[5]
    return COMPOSE_HEAD + "\n".join(lines) + "\n"


COMPOSE = {
    "billion-laughs": (billion_laughs(), "x-a5", "more than 100000 nodes once aliases expand"),
    "big-scalar-aliased": (COMPOSE_HEAD + 'x-big: &big "%s"\n@x-many: [%s]\n' % ("b" * 40000, ", ".join(["*big"] * 220)), "x-many", "bytes of text once aliases expand"),
    "deep-flow-nesting": (COMPOSE_HEAD + "@    command: " + "[" * 10000 + "]" * 10000 + "\n", "services.web.command...", "nested more than 64 deep"),
    "env-file-300-times": (COMPOSE_HEAD + "    env_file:\n" + "      - a.env\n" * 256 + "@      - a.env\n" + "      - a.env\n" * 43, "services.web.env_file", "more than 256 entries"),
    "ready-log-line-break": (COMPOSE_HEAD + DEP + '    x-phoenix:\n@      ready_log: "Ready to accept\\nconnections"\n', "services.redis.x-phoenix.ready_log", "line break"),
    "volume-driver-opts": (COMPOSE_HEAD + "    volumes: [\"data:/data\"]\n    x-phoenix:\n      shared: [data]\nvolumes:\n  data:\n@    driver_opts:\n      type: nfs\n      o: addr=10.0.0.1\n", "volumes.data.driver_opts", "not supported"),
    "volume-external": (COMPOSE_HEAD + "    volumes: [\"data:/data\"]\n    x-phoenix:\n      shared: [data]\nvolumes:\n  data:\n@    external: true\n", "volumes.data.external", "not supported"),
    "volume-external-name": (COMPOSE_HEAD + "    volumes: [\"data:/data\"]\n    x-phoenix:\n      shared: [data]\nvolumes:\n  data:\n@    external:\n      name: prod-data\n", "volumes.data.external", "not supported"),
    "secret-in-default": (COMPOSE_HEAD + "    environment:\n@      LEAK: ${UNSET_PHOENIX_VAR:-${PATH}}\n", "services.web.environment.LEAK", "variable PATH is set in phoenix's environment"),
    "secret-in-alternative": (COMPOSE_HEAD + "    environment:\n@      LEAK: ${UNSET_PHOENIX_VAR:+x${HOME}}\n", "services.web.environment.LEAK", "variable HOME is set in phoenix's environment"),
    "replicas-2-pow-32": (COMPOSE_HEAD + "    deploy:\n@      replicas: 4294967296\n", "services.web.deploy.replicas", "out of range"),
    "grace-garbage": (COMPOSE_HEAD + "@    stop_grace_period: garbage\n", "services.web.stop_grace_period", "not a duration"),
    "ports-a-number": (COMPOSE_HEAD.replace('    expose: ["8080"]\n', "@    ports: 5\n"), "services.web.ports", "not what Compose takes there"),
    "environment-a-number": (COMPOSE_HEAD + "@    environment: 7\n", "services.web.environment", "not what Compose takes there"),
    "volume-long-bind": (COMPOSE_HEAD + "    volumes:\n@      - type: bind\n        source: /var/run/docker.sock\n        target: /var/run/docker.sock\n", "services.web.volumes.0", "mounts the host folder"),
    "volume-mode-z": (COMPOSE_HEAD + "    volumes:\n@      - data:/data:z\nvolumes:\n  data: {}\n", "services.web.volumes.0", "`:z` is not supported"),
    "volume-nocopy": (COMPOSE_HEAD + "    volumes:\n@      - type: volume\n        source: data\n        target: /data\n        volume: {nocopy: true}\n" + "volumes:\n  data: {}\n", "services.web.volumes.0", "`volume:` is not supported"),
    "shared-undeclared": (COMPOSE_HEAD + "    x-phoenix:\n@      shared: [prod-data]\n", "services.web.x-phoenix.shared.0", "not a volume declared"),
    "restart-sometimes": (COMPOSE_HEAD + "@    restart: sometimes\n", "services.web.restart", "not a restart policy"),
    "condition-bogus": (COMPOSE_HEAD + "    depends_on:\n      redis:\n@        condition: bogus\n" + DEP, "services.web.depends_on.redis.condition", "not a depends_on condition"),
    "port-not-a-number": (COMPOSE_HEAD + "    ports:\n@      - \"abc:8080\"\n", "services.web.ports.0", "host port abc is not a port"),
    "port-70000": (COMPOSE_HEAD + "    ports:\n@      - \"70000:8080\"\n", "services.web.ports.0", "host port 70000 is not a port"),
    "grace-spaces": (COMPOSE_HEAD + '@    stop_grace_period: " 10s "\n', "services.web.stop_grace_period", "starts or ends with a space"),
}
COMPOSE_SCENARIO = 'name = "hostile"\n[app]\ncompose = "compose-%s.yml"\nservice = "web"\n%s' + LOAD + FAULT
# the scenario's own replicas win over deploy.replicas (as `phoenix init --compose` writes)
COMPOSE_APP = {"replicas-2-pow-32": "replicas = 2\n"}
SLOW["deep-flow-nesting"] = 1000


def write_compose(here):
    for name, (text, field, says) in COMPOSE.items():
        lines = text.split("\n")
        marked = [i for i, l in enumerate(lines) if l.startswith("@")]
        assert len(marked) == 1, (name, marked)
        lines[marked[0]] = lines[marked[0]][1:]
        with open(os.path.join(here, "compose-%s.yml" % name), "w", newline="") as f:
            f.write("\n".join(lines))
        expect = "# expect: exit 2, field %s, line %d, in compose-%s.yml" % (field, marked[0] + 1, name)
        if name in SLOW:
            expect += ", within %d ms" % SLOW[name]
        expect += ", says " + says
        with open(os.path.join(here, "compose-%s.toml" % name), "w", newline="") as f:
            f.write(expect + "\n" + COMPOSE_SCENARIO % (name, COMPOSE_APP.get(name, "")))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    for name, case in CASES.items():
        text, field, says = case[:3]
        lines = text.split("\n")
        marked = [i for i, l in enumerate(lines) if l.startswith("@")]
        assert len(marked) == 1, (name, marked)
        line = marked[0] + 2  # 1-based, after the expect line
        lines[marked[0]] = lines[marked[0]][1:]
        expect = "# expect: exit 2, field %s, line %d" % (field, line)
        if name in SLOW:
            expect += ", within %d ms" % SLOW[name]
        if says:
            expect += ", says " + says
        with open(os.path.join(here, name + ".toml"), "w", newline="") as f:
            f.write(expect + "\n" + "\n".join(lines))
    # bytes that are not UTF-8 text
    text = GOOD.replace('image = "phoenix-demo:latest"', 'image = "caf\x00"')
    line = text.split("\n").index('image = "caf\x00"') + 2
    with open(os.path.join(here, "not-utf8.toml"), "wb") as f:
        f.write(("# expect: exit 2, field app.image, line %d, says not UTF-8\n" % line).encode())
        f.write(text.encode().replace(b"\x00", b"\xff\xfe"))
    write_compose(here)
    print(len(CASES) + len(COMPOSE), "cases")


if __name__ == "__main__":
    main()
