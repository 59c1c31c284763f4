//! Property tests for the parsers other than the scenario TOML (that one is in
//! `scenario_fuzz.rs`): a compose file and its `.env` (through `Scenario::load`, the entry
//! point `phoenix validate` uses), a result.json (`ResultJson::read`), a record.json (what
//! `phoenix report` reads, then analyses) and the HdrHistogram blobs a record carries.
//!
//! Every generator mutates a valid file (the bundled compose stack, the report fixture),
//! so the cases reach deep into each decoder, not only its first byte. Each case asserts:
//! no panic, a time bound, and on rejection a message that names the file (with
//! `line:col` where the parser has a text), without a raw control or formatting character.
//! Cases are few (a few seconds in a debug build); `PROPTEST_CASES` raises them.

use phoenix_bench::record::{EncodedHistogram, RunRecord};
use phoenix_bench::report::result::ResultJson;
use phoenix_bench::report::{fixture, json, Report};
use phoenix_bench::scenario::{escape, Scenario, ScenarioError};
use proptest::prelude::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Bound for one in-process case: every legitimate file of these kinds takes milliseconds.
const CASE_BOUND: Duration = Duration::from_secs(2);

const COMPOSE: &str = include_str!("../../scenarios/compose/docker-compose.yml");
const COMPOSE_SCENARIO: &str = include_str!("../../scenarios/compose/stateless.toml");

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Whether a character must never reach a terminal raw.
pub fn needs_escape(c: char) -> bool {
    escape(&c.to_string()) != c.to_string()
}

/// The first character no message may carry raw (line breaks between problems aside).
pub fn raw_control(message: &str) -> Option<char> {
    message.chars().find(|&c| c != '\n' && needs_escape(c))
}

/// Edits that keep a text mostly intact, so the decoder gets past its first line.
#[derive(Debug, Clone)]
pub enum Edit {
    FlipByte(usize, u8),
    Truncate(usize),
    DuplicateLine(usize, usize),
    DeleteLine(usize),
    Splice(usize, String),
    ReplaceNumber(usize, String),
}

/// What an edit may inject: control and bidi characters, huge and negative numbers, YAML
/// and JSON structure, interpolation.
pub fn payload() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("\u{1b}[31m".to_string()),
        Just("\u{7}\u{0}\u{7f}\u{9b}".to_string()),
        Just("\u{202e}\u{2066}\u{200b}".to_string()),
        Just("\r\n".to_string()),
        Just("${AWS_SECRET_ACCESS_KEY}".to_string()),
        Just("${UNSET:-${HOME}}".to_string()),
        Just("&a [*a, *a]".to_string()),
        Just("[[[[[[[[[[[[[[[[".to_string()),
        Just("{\"a\":[{\"a\":[{\"a\":[".to_string()),
        Just("18446744073709551616".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("1e400".to_string()),
        "[ -~]{0,12}",
    ]
}

pub fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::FlipByte(i, b)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), 1usize..50).prop_map(|(i, n)| Edit::DuplicateLine(i, n)),
        any::<usize>().prop_map(Edit::DeleteLine),
        (any::<usize>(), payload()).prop_map(|(i, p)| Edit::Splice(i, p)),
        (
            any::<usize>(),
            prop_oneof![
                any::<i64>().prop_map(|n| n.to_string()),
                any::<u64>().prop_map(|n| n.to_string()),
                Just("0".to_string()),
                Just("4294967296".to_string()),
                Just("-1".to_string()),
            ]
        )
            .prop_map(|(i, v)| Edit::ReplaceNumber(i, v)),
    ]
}

fn char_floor(text: &str, i: usize) -> usize {
    let mut i = i % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// `text` with `e` applied.
pub fn apply(text: &str, e: &Edit) -> String {
    if text.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = text.lines().collect();
    let line = |i: usize| i % lines.len().max(1);
    match e {
        Edit::FlipByte(i, b) => {
            let mut bytes = text.as_bytes().to_vec();
            let i = i % bytes.len();
            bytes[i] ^= b | 1;
            String::from_utf8_lossy(&bytes).into_owned()
        }
        Edit::Truncate(i) => text[..char_floor(text, *i)].to_string(),
        Edit::DuplicateLine(i, n) => {
            let mut out: Vec<&str> = lines.clone();
            let l = line(*i);
            for _ in 0..*n {
                out.insert(l, lines[l]);
            }
            out.join("\n")
        }
        Edit::DeleteLine(i) => {
            let l = line(*i);
            let out: Vec<&str> = lines
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != l)
                .map(|(_, s)| *s)
                .collect();
            out.join("\n")
        }
        Edit::Splice(i, p) => {
            let i = char_floor(text, *i);
            format!("{}{p}{}", &text[..i], &text[i..])
        }
        Edit::ReplaceNumber(i, v) => {
            let b = text.as_bytes();
            let mut runs = Vec::new();
            let mut j = 0;
            while j < b.len() {
                if b[j].is_ascii_digit() {
                    let s = j;
                    while j < b.len() && b[j].is_ascii_digit() {
                        j += 1;
                    }
                    runs.push((s, j));
                } else {
                    j += 1;
                }
            }
            match runs.get(i % runs.len().max(1)) {
                Some(&(s, e)) => format!("{}{v}{}", &text[..s], &text[e..]),
                None => text.to_string(),
            }
        }
    }
}

fn mutated(base: &str, edits: &[Edit]) -> String {
    edits.iter().fold(base.to_string(), |t, e| apply(&t, e))
}

// --- compose file and .env ---------------------------------------------------------------

/// A folder laid out like `scenarios/`: the compose scenario and its stack in `compose/`,
/// the demo's build context and the Redis recipe beside it, under a `.git` that makes the
/// folder their project, so the bundled files validate.
struct ComposeDir {
    dir: tempfile::TempDir,
}

impl ComposeDir {
    fn new() -> ComposeDir {
        let dir = tempfile::tempdir().expect("temporary folder");
        let root = dir.path();
        for d in [".git", "compose", "apps/demo", "images/redis"] {
            std::fs::create_dir_all(root.join(d)).expect("folder");
        }
        std::fs::write(root.join("apps/demo/Dockerfile"), "FROM scratch\n").expect("write");
        std::fs::write(root.join("apps/demo/build.sh"), "true\n").expect("write");
        std::fs::write(root.join("images/redis/build.sh"), "true\n").expect("write");
        ComposeDir { dir }
    }

    fn scenario(&self) -> PathBuf {
        self.dir.path().join("compose/s.toml")
    }

    /// Writes the files (the `.env` only when given) and validates the scenario.
    fn load(&self, compose: &str, dotenv: Option<&str>, env_file: Option<&str>) -> Result<Scenario, ScenarioError> {
        let c = self.dir.path().join("compose");
        std::fs::write(c.join("docker-compose.yml"), compose).expect("write");
        std::fs::write(self.scenario(), COMPOSE_SCENARIO).expect("write");
        match dotenv {
            Some(t) => std::fs::write(c.join(".env"), t).expect("write"),
            None => {
                let _ = std::fs::remove_file(c.join(".env"));
            }
        }
        if let Some(t) = env_file {
            std::fs::write(c.join("web.env"), t).expect("write");
        }
        Scenario::load(&self.scenario())
    }
}

/// Asserts what a refused compose stack must show: every listed problem located (the
/// scenario or the compose file, `file:line:col`), nothing raw.
fn check_compose_error(dir: &ComposeDir, e: &ScenarioError) {
    let shown = e.to_string();
    assert!(
        raw_control(&shown).is_none(),
        "raw {:?} in {shown:?}",
        raw_control(&shown)
    );
    assert!(matches!(e, ScenarioError::Invalid { .. }), "{shown}");
    assert!(!e.problems().is_empty(), "{shown}");
    let root = dir.dir.path().display().to_string();
    assert!(
        shown.starts_with(&root),
        "the message does not name a file of the stack: {shown}"
    );
    for p in e.problems().iter().take(phoenix_bench::scenario::MAX_LISTED) {
        assert!(
            p.location.is_some(),
            "a problem without line and column: {p:?}\n{shown}"
        );
    }
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let out = f();
    assert!(t.elapsed() < CASE_BOUND, "{what} took {:?}", t.elapsed());
    out
}

#[test]
fn the_bundled_compose_stack_validates_in_the_copied_layout() {
    let dir = ComposeDir::new();
    let s = dir.load(COMPOSE, None, None);
    assert!(s.is_ok(), "{}", s.err().map(|e| e.to_string()).unwrap_or_default());
}

/// A `.env` line and an `env_file` entry the compose stack reads: `UPLOADS` is interpolated
/// into the app's environment.
fn with_env_file(compose: &str) -> String {
    compose.replace(
        "    expose: [\"8080\"]\n",
        "    expose: [\"8080\"]\n    env_file: [web.env]\n",
    )
}

proptest! {
    #![proptest_config(config(96))]

    #[test]
    fn mutations_of_the_bundled_compose_file_never_panic(edits in prop::collection::vec(edit(), 1..4)) {
        let dir = ComposeDir::new();
        let text = mutated(COMPOSE, &edits);
        if let Err(e) = timed("compose validation", || dir.load(&text, None, None)) {
            check_compose_error(&dir, &e);
        }
    }

    #[test]
    fn mutations_of_a_dotenv_and_an_env_file_never_panic(
        dotenv in prop::collection::vec(edit(), 0..4),
        env_file in prop::collection::vec(edit(), 0..4),
    ) {
        let dir = ComposeDir::new();
        let base = "# the stack's own defaults\nUPLOADS=shared\nexport OTHER='a b'\nQUOTED=\"x\\ny\"\n";
        let (d, f) = (mutated(base, &dotenv), mutated(base, &env_file));
        let compose = with_env_file(COMPOSE);
        if let Err(e) = timed(".env validation", || dir.load(&compose, Some(&d), Some(&f))) {
            check_compose_error(&dir, &e);
        }
    }

    #[test]
    fn control_characters_in_compose_values_are_refused_or_escaped(
        value in "[a-z\u{1b}\r\n\u{7}\u{7f}\u{9b}\u{202e}\u{2066}\u{200b}]{1,10}",
        at in prop::sample::select(vec!["phoenix-demo:latest", "Ready to accept connections", "/shared/uploads", "uploads:/shared", "web"]),
    ) {
        // a YAML double-quoted string carries any character as an escape
        let quoted: String = value.chars().map(|c| if needs_escape(c) || c == '\n' || c == '\r' {
            format!("\\u{:04X}", c as u32)
        } else {
            c.to_string()
        }).collect();
        let text = COMPOSE.replacen(at, &format!("\"{quoted}\""), 1);
        let dir = ComposeDir::new();
        if let Err(e) = timed("compose validation", || dir.load(&text, None, None)) {
            check_compose_error(&dir, &e);
        }
    }
}

// --- result.json ---------------------------------------------------------------------------

fn fixture_report() -> Report {
    Report::build(fixture::record())
}

/// The fixture's record.json (`record`) or result.json, rendered once.
fn fixture_json(record: bool) -> String {
    static TEXTS: std::sync::OnceLock<(String, String)> = std::sync::OnceLock::new();
    let (rec, res) = TEXTS.get_or_init(|| {
        let r = fixture_report();
        let text = |b: Result<Vec<u8>, _>| String::from_utf8(b.expect("the fixture renders")).expect("UTF-8");
        (text(json::record(&r)), text(json::result(&r)))
    });
    if record {
        rec.clone()
    } else {
        res.clone()
    }
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn mutations_of_a_result_json_never_panic_and_print_nothing_raw(edits in prop::collection::vec(edit(), 1..4)) {
        let text = mutated(&fixture_json(false), &edits);
        let dir = tempfile::tempdir().expect("temporary folder");
        let path = dir.path().join("result.json");
        std::fs::write(&path, &text).expect("write");
        if let Err(e) = timed("result.json", || ResultJson::read(&path)) {
            let shown = e.to_string();
            assert!(shown.contains(&path.display().to_string()), "{shown}");
            assert!(raw_control(&shown).is_none(), "raw {:?} in {shown:?}", raw_control(&shown));
        }
    }
}

#[test]
fn a_result_json_in_a_folder_named_with_escapes_is_refused_with_the_name_escaped() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let run = dir.path().join("run\u{1b}]0;owned\u{7}");
    std::fs::create_dir(&run).expect("folder");
    let path = run.join("result.json");
    // a wrong type where a count belongs: refused, and the value is shown escaped too
    let text = fixture_json(false).replacen("\"trials\": ", "\"trials\": \"\\u001b[2J\", \"x\": ", 1);
    std::fs::write(&path, text).expect("write");
    let shown = ResultJson::read(&path)
        .expect_err("a string as the trial count")
        .to_string();
    assert!(
        raw_control(&shown).is_none(),
        "raw {:?} in {shown:?}",
        raw_control(&shown)
    );
}

// --- record.json and its histograms ---------------------------------------------------------

/// What `phoenix report` does with a record.json, in-process: parse, check, then analyse.
fn report_of(bytes: &[u8]) -> Result<Report, String> {
    let record: RunRecord = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    record.check().map_err(|e| e.to_string())?;
    Ok(Report::build(record))
}

/// Edits that change the record's shape but no number: a number is a loop bound or an
/// allocation until the reader range-checks it (the crafted cases in `cli_props.rs`).
fn shape_edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Edit::FlipByte(i, b & 0x40)),
        any::<usize>().prop_map(Edit::Truncate),
        (any::<usize>(), "[\"{}\\[\\],:a-z\u{1b}]{0,6}").prop_map(|(i, p)| Edit::Splice(i, p)),
    ]
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn mutations_of_a_record_json_never_panic(edits in prop::collection::vec(shape_edit(), 1..3)) {
        let text = mutated(&fixture_json(true), &edits);
        if let Err(e) = timed("record.json", || report_of(text.as_bytes())) {
            assert!(!e.is_empty());
        }
    }
}

/// A V2 (uncompressed) HdrHistogram encoding with the given header fields and counts
/// payload, as `hdrhistogram`'s deserialiser reads it.
pub fn v2_blob(payload_len: u32, sigfig: u32, lowest: u64, highest: u64, payload: &[u8]) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(&0x1c84_9313u32.to_be_bytes()); // V2 cookie, 8-byte words
    b.extend_from_slice(&payload_len.to_be_bytes());
    b.extend_from_slice(&0u32.to_be_bytes()); // normalising index offset
    b.extend_from_slice(&sigfig.to_be_bytes());
    b.extend_from_slice(&lowest.to_be_bytes());
    b.extend_from_slice(&highest.to_be_bytes());
    b.extend_from_slice(&1.0f64.to_bits().to_be_bytes());
    b.extend_from_slice(payload);
    b
}

/// A blob as `phoenix report` takes it: parsed from its base64, then checked.
fn decode_blob(bytes: &[u8]) -> Result<EncodedHistogram, String> {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(bytes);
    let h: EncodedHistogram = serde_json::from_value(serde_json::Value::String(text)).map_err(|e| e.to_string())?;
    h.check().map_err(|e| e.to_string())?;
    Ok(h)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_bytes_as_a_histogram_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = timed("histogram", || decode_blob(&bytes));
    }

    /// Headers whose range a histogram of a few KiB covers: lying payload lengths (a
    /// length of gigabytes is the binary-level case in `cli_props.rs`: it aborts today),
    /// impossible significant figures, lowest above highest.
    #[test]
    fn crafted_histogram_headers_in_a_small_range_never_panic(
        payload_len in prop_oneof![0u32..64, Just(4096)],
        sigfig in 0u32..8,
        lowest in prop_oneof![0u64..4, Just(u64::MAX)],
        highest in prop_oneof![0u64..100_000, Just(2)],
        payload in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let blob = v2_blob(payload_len, sigfig.min(3), lowest, highest, &payload);
        if let Ok(h) = timed("histogram", || decode_blob(&blob)) {
            // a histogram that was accepted decodes again without a panic
            let _ = h.decode();
        }
    }
}

#[test]
fn a_valid_histogram_round_trips_through_its_blob() {
    let mut h = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).expect("bounds");
    h.record(1234).expect("in range");
    let blob = EncodedHistogram::encode(&h);
    let json = serde_json::to_value(&blob).expect("serialise");
    let back: EncodedHistogram = serde_json::from_value(json).expect("read back");
    assert_eq!(back.decode().len(), 1);
    // and a crafted one with a payload length past the bytes present is refused
    assert!(decode_blob(&v2_blob(1 << 20, 3, 1, 1000, &[0; 4])).is_err());
}
