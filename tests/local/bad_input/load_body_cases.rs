//! Load requests with bodies (`form`, `json`, `json_text`, `multipart`) and `{{n}}`
//! templates: each refused where it is written, with the fix.

use super::*;

/// `GOOD` with its one load request replaced by `request` (an inline table's contents).
fn request(request: &str) -> String {
    good_with(
        "requests = [{ path = \"/\" }]",
        &format!("requests = [{{ {request} }}]"),
    )
}

pub const CASES: &[Case] = &[
    Case {
        rule: "a load request template other than {{n}} is refused",
        file: "load-var.toml",
        text: || request("method = \"POST\", path = \"/login\", form = { user = \"u{{sid}}\" }"),
        field: Some("load.requests[0].form"),
        at: (11, 49),
        says: &["uses `{{sid}}`, which a load request does not know", "only `{{n}}`"],
    },
    Case {
        rule: "a load request header template other than {{n}} is refused",
        file: "load-header-var.toml",
        text: || request("path = \"/me\", headers = { Cookie = \"sid={{sid}}\" }"),
        field: Some("load.requests[0].headers.Cookie"),
        at: (11, 41),
        says: &["`{{sid}}`", "only `{{n}}`"],
    },
    Case {
        rule: "a load request with two bodies is refused",
        file: "load-two-bodies.toml",
        text: || request("method = \"POST\", path = \"/login\", body = \"x\", form = { user = \"u\" }"),
        field: Some("load.requests[0].form"),
        at: (11, 61),
        says: &["has one body", "keep only one of body, form"],
    },
    Case {
        rule: "a load request's json_text must be JSON",
        file: "load-json-text.toml",
        text: || request("method = \"POST\", path = \"/a\", json_text = '{\"a\": }'"),
        field: Some("load.requests[0].json_text"),
        at: (11, 45),
        says: &["is not valid JSON", "json = {"],
    },
    Case {
        rule: "a load upload file outside the project is refused",
        file: "load-upload-out.toml",
        text: || request("method = \"POST\", path = \"/upload\", multipart = { file = \"/etc/passwd\" }"),
        field: Some("load.requests[0].multipart.file"),
        at: (11, 64),
        says: &["/etc/passwd"],
    },
    Case {
        rule: "a load upload of zero random bytes is refused",
        file: "load-upload-zero.toml",
        text: || request("method = \"POST\", path = \"/upload\", multipart = { bytes = 0 }"),
        field: Some("load.requests[0].multipart.bytes"),
        at: (11, 64),
        says: &["0 is out of range", "use 1 to 10485760"],
    },
    Case {
        rule: "a load upload needs a file or bytes",
        file: "load-upload-none.toml",
        text: || request("method = \"POST\", path = \"/upload\", multipart = { field = \"file\" }"),
        field: Some("load.requests[0].multipart"),
        at: (11, 50),
        says: &["needs one of `file` or `bytes`"],
    },
    Case {
        rule: "a load upload's file name cannot break its part header",
        file: "load-upload-name.toml",
        text: || request("method = \"POST\", path = \"/upload\", multipart = { bytes = 4, filename = 'a\"b' }"),
        field: Some("load.requests[0].multipart.filename"),
        at: (11, 75),
        says: &["control characters and '\"' are refused"],
    },
    Case {
        rule: "load uploads over the mix's memory budget are refused",
        file: "load-upload-budget.toml",
        text: || {
            let one = "{ method = \"POST\", path = \"/upload\", multipart = { bytes = 10485760 } }";
            good_with(
                "requests = [{ path = \"/\" }]",
                &format!("requests = [{}]", [one; 7].join(", ")),
            )
        },
        field: Some("load.requests[6].multipart"),
        at: (11, 488),
        says: &["over the limit of 67108864", "smaller or fewer uploads"],
    },
];
