//! `[load]` and `[certify]`: the open-loop traffic (every request line and header checked
//! before it can reach a socket) and the certification parameters.

use super::super::body::MAX_UPLOAD;
use super::super::body::{self, BodyFile};
use super::super::file::{CertifyFile, LoadFile, RequestFile};
use super::super::http;
use super::super::template::template_vars;
use super::super::{Body, CertifyParams, Load, RequestSpec, TthOf, Upload, DEFAULT_FLOOR_CYCLES, MAX_FLOOR_CYCLES};
use super::bounds::{
    rate_problem, LOAD_DURATION, LOAD_TIMEOUT, LOAD_WINDOW, MAX_HEADERS, MAX_IN_FLIGHT, MAX_LOAD_UPLOAD_TOTAL,
    MAX_RATE, MAX_REQUEST_KINDS, STEADY_WINDOW,
};
use super::Validator;
use std::time::Duration;

impl Validator<'_> {
    pub(super) fn load(&mut self, raw: LoadFile) -> Load {
        let rate = self.rate(raw.rate);
        let duration = self.duration(
            "load.duration",
            Some(&raw.duration),
            Duration::from_secs(1),
            *LOAD_DURATION.start(),
            *LOAD_DURATION.end(),
        );
        let timeout = self.duration(
            "load.timeout",
            raw.timeout.as_deref(),
            Duration::from_secs(2),
            *LOAD_TIMEOUT.start(),
            *LOAD_TIMEOUT.end(),
        );
        let window = self.duration(
            "load.window",
            raw.window.as_deref(),
            Duration::from_millis(100),
            *LOAD_WINDOW.start(),
            *LOAD_WINDOW.end(),
        );
        // by default enough connections to keep a whole timeout's requests in flight (a
        // paused app holds every request until its timeout), plus a margin; the pool only
        // grows that far when requests wait
        let sized = ((rate * timeout.as_secs_f64()).ceil() as i64 + 64).min(MAX_IN_FLIGHT);
        let max_in_flight = self.int("load.max_in_flight", raw.max_in_flight, sized, 1, MAX_IN_FLIGHT) as usize;
        let mut requests = Vec::new();
        let n = self.at_most("load.requests", raw.requests.len(), MAX_REQUEST_KINDS, "requests");
        let mut upload_total: u64 = 0;
        for (i, r) in raw.requests.into_iter().take(n).enumerate() {
            requests.push(self.request(&format!("load.requests[{i}]"), r, &mut upload_total));
        }
        if requests.is_empty() {
            requests.push(RequestSpec::plain("GET", "/"));
        }
        Load {
            rate,
            duration,
            timeout,
            window,
            max_in_flight,
            keep_alive: raw.keep_alive.unwrap_or(false),
            requests,
        }
    }

    /// `load.rate`, within what one load generator can pace (a refused rate becomes 1, or
    /// the most it can pace, so the rest is still checked).
    fn rate(&mut self, rate: f64) -> f64 {
        match rate_problem(rate) {
            Some(why) if rate > MAX_RATE => {
                let hint = "one load generator process cannot pace more; lower the rate";
                self.problem("load.rate", why, Some(hint.into()));
                MAX_RATE
            }
            Some(why) => {
                self.problem("load.rate", why, Some("requests per second, e.g. rate = 200".into()));
                1.0
            }
            None => rate,
        }
    }

    /// One kind of request of the load mix: its request line, headers and body, the only
    /// template variable it may use (`{{n}}`), and its upload, counted into `upload_total`.
    fn request(&mut self, field: &str, r: RequestFile, upload_total: &mut u64) -> RequestSpec {
        let mut used: Vec<(String, String)> = Vec::new();
        let mut note =
            |what: &str, text: &str| used.extend(template_vars(text).into_iter().map(|v| (what.to_string(), v)));
        note("path", &r.path);
        let method = r.method.unwrap_or_else(|| "GET".into()).to_ascii_uppercase();
        if let Some(why) = http::method_problem(&method) {
            self.problem(
                &format!("{field}.method"),
                why,
                Some(format!("use one of {}", http::METHODS.join(", "))),
            );
        }
        if let Some(why) = http::target_problem(&r.path) {
            self.problem(&format!("{field}.path"), why, Some(http::TARGET_HINT.into()));
        }
        let h = self.at_most(&format!("{field}.headers"), r.headers.len(), MAX_HEADERS, "headers");
        for (k, v) in r.headers.iter().take(h) {
            note(&format!("headers.{k}"), v);
            if let Some(why) = http::header_problem(k, Some(v)) {
                self.problem(&format!("{field}.headers.{k}"), why, Some(http::HEADER_HINT.into()));
            }
        }
        let mut found = Vec::new();
        let raw_body = BodyFile {
            body: r.body,
            form: r.form,
            json: r.json,
            json_text: r.json_text,
            multipart: r.multipart,
        };
        let body = body::validate(field, raw_body, &self.project, &mut note, &mut |f, m, h| {
            found.push((f, m, h))
        });
        for (f, m, h) in found {
            self.problem(&f, m, h);
        }
        for (what, var) in used {
            if var != "n" {
                self.problem(
                    &format!("{field}.{what}"),
                    format!("uses `{{{{{var}}}}}`, which a load request does not know"),
                    Some("load requests know only `{{n}}`, the request's number (0, 1, 2, …)".into()),
                );
            }
        }
        let upload = self.upload(field, &body, upload_total);
        let weight = self.int(&format!("{field}.weight"), r.weight, 1, 1, 1000) as u32;
        RequestSpec {
            method,
            path: r.path,
            body,
            headers: r.headers,
            weight,
            upload,
        }
    }

    /// A multipart request's upload: a file's bytes, read once here; its size (or the
    /// random bytes it sends) is added to `upload_total`, which the mix may not exceed.
    fn upload(&mut self, field: &str, body: &Body, upload_total: &mut u64) -> Option<bytes::Bytes> {
        let upload = match body {
            Body::Multipart {
                upload: Upload::File(p),
                ..
            } => self.read_upload(&format!("{field}.multipart.file"), p),
            _ => None,
        };
        let bytes = match body {
            Body::Multipart {
                upload: Upload::Random(n),
                ..
            } => *n as u64,
            _ => upload.as_ref().map_or(0, |u| u.len() as u64),
        };
        *upload_total = upload_total.saturating_add(bytes);
        if bytes > 0 && *upload_total > MAX_LOAD_UPLOAD_TOTAL {
            self.problem(
                &format!("{field}.multipart"),
                format!(
                    "brings the uploads of the load mix to {} bytes, over the limit of {MAX_LOAD_UPLOAD_TOTAL}",
                    *upload_total
                ),
                Some("each upload kind is held in memory for the whole load; use smaller or fewer uploads".into()),
            );
        }
        upload
    }

    pub(super) fn certify(&mut self, raw: Option<CertifyFile>) -> CertifyParams {
        let raw = raw.unwrap_or(CertifyFile {
            time_to_healthy_target: None,
            steady_window: None,
            steady_p99_tolerance: None,
            floor_cycles: None,
            time_to_healthy_of: None,
        });
        let (floor_cycles, time_to_healthy_of) = self.floor(&raw);
        let tol = raw.steady_p99_tolerance.unwrap_or(1.5);
        if !(1.0..=100.0).contains(&tol) {
            self.problem(
                "certify.steady_p99_tolerance",
                format!("{tol} is out of range"),
                Some("a factor of the baseline p99 from 1.0 to 100, e.g. 1.5".into()),
            );
        }
        CertifyParams {
            time_to_healthy_target: self.duration(
                "certify.time_to_healthy_target",
                raw.time_to_healthy_target.as_deref(),
                Duration::from_secs(5),
                Duration::from_millis(1),
                Duration::from_secs(600),
            ),
            steady_window: self.duration(
                "certify.steady_window",
                raw.steady_window.as_deref(),
                Duration::from_secs(1),
                *STEADY_WINDOW.start(),
                *STEADY_WINDOW.end(),
            ),
            steady_p99_tolerance: tol,
            floor_cycles,
            time_to_healthy_of,
        }
    }

    /// `certify.floor_cycles` and `certify.time_to_healthy_of`: the app's share needs a floor.
    fn floor(&mut self, raw: &CertifyFile) -> (u32, TthOf) {
        let cycles = raw.floor_cycles.unwrap_or(DEFAULT_FLOOR_CYCLES as i64);
        if !(0..=MAX_FLOOR_CYCLES as i64).contains(&cycles) {
            self.problem(
                "certify.floor_cycles",
                format!("{cycles} is out of range"),
                Some(format!(
                    "cycles of the platform floor before and after the trials, 0 (no floor) to {MAX_FLOOR_CYCLES}, e.g. {DEFAULT_FLOOR_CYCLES}"
                )),
            );
        }
        let of = match raw.time_to_healthy_of.as_deref() {
            None | Some("total") => TthOf::Total,
            Some("app") => TthOf::App,
            Some(other) => {
                self.problem(
                    "certify.time_to_healthy_of",
                    format!(
                        "{:?} is neither \"total\" nor \"app\"",
                        super::super::error::escape(other)
                    ),
                    Some(
                        "\"total\" (the default: what users feel) or \"app\" (the total minus the platform floor)"
                            .into(),
                    ),
                );
                TthOf::Total
            }
        };
        (cycles.clamp(0, MAX_FLOOR_CYCLES as i64) as u32, of)
    }
}

impl Validator<'_> {
    /// The bytes of an upload file, read once here so the load does no file I/O; bounded
    /// even if the file grew since its size was checked.
    fn read_upload(&mut self, field: &str, path: &std::path::Path) -> Option<bytes::Bytes> {
        use std::io::Read;
        let mut bytes = Vec::new();
        let read = std::fs::File::open(path).and_then(|f| f.take(MAX_UPLOAD as u64 + 1).read_to_end(&mut bytes));
        match read {
            Ok(n) if n as i64 > MAX_UPLOAD => {
                self.problem(
                    field,
                    format!("is over the limit of {MAX_UPLOAD} bytes"),
                    Some("upload a smaller file".to_string()),
                );
                None
            }
            Ok(_) => Some(bytes::Bytes::from(bytes)),
            Err(e) => {
                self.problem(
                    field,
                    format!("cannot be read: {e}"),
                    Some("name a readable file".to_string()),
                );
                None
            }
        }
    }
}
