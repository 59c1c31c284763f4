//! Command line: `phoenix-proxy [--api ADDR] [--proxy NAME=LISTEN=UPSTREAM]...`.

use crate::registry::NewProxy;

pub const USAGE: &str = "usage: phoenix-proxy [--api ADDR] [--proxy NAME=LISTEN=UPSTREAM]...
  --api ADDR       the HTTP control API's address (default 0.0.0.0:8474, Toxiproxy's port)
  --proxy SPEC     a proxy ready before the API answers, e.g. redis=0.0.0.0:6379=redis-real:6379
                   (UPSTREAM is resolved on each new connection)";

#[derive(Debug, PartialEq)]
pub struct Args {
    pub api: String,
    pub proxies: Vec<NewProxy>,
}

/// What the command line asks for: a run, or help.
#[derive(Debug, PartialEq)]
pub enum Command {
    Run(Args),
    Help,
}

pub fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut out = Args {
        api: "0.0.0.0:8474".into(),
        proxies: Vec::new(),
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        // both `--flag value` and `--flag=value`
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "--api" => out.api = value()?,
            "--proxy" => out.proxies.push(proxy_spec(&value()?)?),
            _ => return Err(format!("unknown argument {arg:?}")),
        }
    }
    Ok(Command::Run(out))
}

/// `NAME=LISTEN=UPSTREAM`, e.g. `redis=0.0.0.0:6379=redis-real:6379`.
fn proxy_spec(spec: &str) -> Result<NewProxy, String> {
    let parts: Vec<&str> = spec.split('=').collect();
    match parts[..] {
        [name, listen, upstream] if [name, listen, upstream].iter().all(|p| !p.is_empty()) => Ok(NewProxy {
            name: name.into(),
            listen: listen.into(),
            upstream: upstream.into(),
            enabled: true,
        }),
        _ => Err(format!("--proxy {spec:?}: expected NAME=LISTEN=UPSTREAM")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|s| s.to_string()))
    }

    #[test]
    fn defaults_to_toxiproxys_port() {
        let Command::Run(a) = run(&[]).unwrap() else { panic!() };
        assert_eq!(a.api, "0.0.0.0:8474");
        assert!(a.proxies.is_empty());
    }

    #[test]
    fn takes_proxies_and_the_api_address() {
        let cmd = run(&[
            "--api",
            "127.0.0.1:9000",
            "--proxy",
            "redis=0.0.0.0:6379=redis-real:6379",
            "--proxy=replica=0.0.0.0:6380=replica:6379",
        ]);
        let Command::Run(a) = cmd.unwrap() else { panic!() };
        assert_eq!(a.api, "127.0.0.1:9000");
        let names: Vec<_> = a.proxies.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["redis", "replica"]);
        assert_eq!(a.proxies[0].listen, "0.0.0.0:6379");
        assert_eq!(a.proxies[0].upstream, "redis-real:6379");
        assert!(a.proxies[1].enabled);
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert!(run(&["--proxy", "redis=0.0.0.0:6379"]).is_err());
        assert!(run(&["--proxy", "=a=b"]).is_err());
        assert!(run(&["--api"]).is_err());
        assert!(run(&["--colour"]).is_err());
        assert_eq!(run(&["--help"]).unwrap(), Command::Help);
    }
}
