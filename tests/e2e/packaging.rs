//! What ships besides the binary: systemd units (checked with `systemd-analyze verify`), shell
//! completions and man pages generated from the clap definitions (pinned by a freshness test),
//! the example env file, and `scripts/install.sh`.
//!
//! Regenerate the completions and man pages after a CLI change with
//! `SYNCBIT_REGENERATE=1 cargo test --test e2e packaging`.

use clap::CommandFactory;
use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root.
fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SERVICES: [&str; 3] = [
    "syncbit-sync.service",
    "syncbit-sync-intraday.service",
    "syncbit-backfill.service",
];
const TIMERS: [&str; 2] = ["syncbit-sync.timer", "syncbit-sync-intraday.timer"];
const SECRETS: [&str; 8] = [
    "google_client_id",
    "google_client_secret",
    "fitbit_client_id",
    "fitbit_client_secret",
    "victoria_endpoint",
    "victoria_user",
    "victoria_password",
    "victoria_bearer_token",
];

/// The per-person templates (instance = profile name).
const TEMPLATE_SERVICES: [&str; 3] = [
    "syncbit-sync@.service",
    "syncbit-sync-intraday@.service",
    "syncbit-backfill@.service",
];
const TEMPLATE_TIMERS: [&str; 2] = ["syncbit-sync@.timer", "syncbit-sync-intraday@.timer"];

fn units() -> impl Iterator<Item = &'static str> {
    SERVICES.iter().chain(TIMERS.iter()).copied()
}

fn templates() -> impl Iterator<Item = &'static str> {
    TEMPLATE_SERVICES
        .iter()
        .chain(TEMPLATE_TIMERS.iter())
        .copied()
}

/// Every unit file of `systemd/` (and, with the same names, of `systemd/user/`).
fn shipped() -> impl Iterator<Item = &'static str> {
    units().chain(templates())
}

/// A template's file name for instance `alice` (`syncbit-sync@.service` →
/// `syncbit-sync@alice.service`), as systemd loads an instance.
fn instance(template: &str) -> String {
    template.replacen("@.", "@alice.", 1)
}

fn read(rel: &str) -> String {
    let p = repo().join(rel);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// `KEY=value` lines of a unit file (comments and sections left out), in order.
fn directives(text: &str) -> Vec<(String, String)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with('['))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

fn values<'a>(d: &'a [(String, String)], key: &str) -> Vec<&'a str> {
    d.iter()
        .filter(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .collect()
}

fn systemd_analyze() -> Command {
    let ok = Command::new("systemd-analyze")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "systemd-analyze not found: apt-get install systemd (scripts/test.sh does it)"
    );
    Command::new("systemd-analyze")
}

/// Whether `tool` runs (`tool --version`). A test that needs it skips its checks with a note
/// when it is missing, except under `SYNCBIT_REQUIRE_VM=1` (scripts/test.sh, CI), where a
/// missing tool fails the test: scripts/test.sh installs every one of them.
fn have(tool: &str, package: &str) -> bool {
    let ok = Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("SYNCBIT_REQUIRE_VM").is_none(),
            "{tool} not found: apt-get install {package} (scripts/test.sh does it)"
        );
        eprintln!(
            "{tool} not installed: its checks are skipped (apt-get install {package}; \
             SYNCBIT_REQUIRE_VM=1 makes this a failure)"
        );
    }
    ok
}

/// A man tree (`<dir>/man1/*.1`) with the committed pages, so `systemd-analyze verify` can check
/// every `Documentation=man:...` reference.
fn man_tree(dir: &Path) -> PathBuf {
    let man1 = dir.join("man/man1");
    std::fs::create_dir_all(&man1).unwrap();
    for e in std::fs::read_dir(repo().join("man")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, man1.join(p.file_name().unwrap())).unwrap();
    }
    dir.join("man")
}

/// Copies `names` from `src` into a temp dir with `/usr/bin/syncbit` replaced by the built
/// binary (verify wants ExecStart to exist).
/// Each file is saved under the name given with it (a template as an instance).
fn copies_as(src: &str, names: &[(&str, String)]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let units = tmp.path().join("units");
    std::fs::create_dir_all(&units).unwrap();
    let bin = env!("CARGO_BIN_EXE_syncbit");
    let mut paths = Vec::new();
    for (n, to) in names {
        let text = read(&format!("{src}/{n}")).replace("/usr/bin/syncbit", bin);
        let p = units.join(to);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    (tmp, paths)
}

/// `systemd-analyze [--user] verify` of copies of `names`: its exit status and output.
fn verify(src: &str, names: &[&str], user: bool) -> (bool, String) {
    let pairs: Vec<(&str, String)> = names.iter().map(|n| (*n, n.to_string())).collect();
    verify_as(src, &pairs, user)
}

/// [`verify`] of copies saved under other names (templates as instances).
fn verify_as(src: &str, names: &[(&str, String)], user: bool) -> (bool, String) {
    let (tmp, paths) = copies_as(src, names);
    let mut c = systemd_analyze();
    if user {
        let rt = tmp.path().join("runtime");
        std::fs::create_dir_all(&rt).unwrap();
        std::fs::set_permissions(&rt, std::fs::Permissions::from_mode(0o700)).unwrap();
        c.arg("--user").env("XDG_RUNTIME_DIR", &rt);
    }
    c.arg("verify");
    let has_man = Command::new("man")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if has_man {
        c.env("MANPATH", man_tree(tmp.path()));
    } else {
        c.arg("--man=no");
    }
    let o = c.args(&paths).output().expect("run systemd-analyze");
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
    .replace(&tmp.path().join("units").display().to_string(), src);
    (o.status.success(), out)
}

#[test]
fn packaging_systemd_units_verify_clean() {
    let names: Vec<&str> = units().collect();
    let (ok, out) = verify("systemd", &names, false);
    assert!(
        ok && out.trim().is_empty(),
        "systemd-analyze verify systemd/*:\n{out}"
    );
    let (ok, out) = verify("systemd/user", &names, true);
    assert!(
        ok && out.trim().is_empty(),
        "systemd-analyze --user verify systemd/user/*:\n{out}"
    );
    // Every template, as an instance (a template itself cannot be loaded), in both flavours.
    let instances: Vec<(&str, String)> = templates().map(|t| (t, instance(t))).collect();
    let (ok, out) = verify_as("systemd", &instances, false);
    assert!(
        ok && out.trim().is_empty(),
        "systemd-analyze verify systemd/*@alice.*:\n{out}"
    );
    let (ok, out) = verify_as("systemd/user", &instances, true);
    assert!(
        ok && out.trim().is_empty(),
        "systemd-analyze --user verify systemd/user/*@alice.*:\n{out}"
    );
    // systemd's own exposure score of the system services: at most 2.0 of 10 ("OK").
    let mut services: Vec<(&str, String)> = SERVICES.iter().map(|n| (*n, n.to_string())).collect();
    services.extend(TEMPLATE_SERVICES.iter().map(|t| (*t, instance(t))));
    let (_tmp, paths) = copies_as("systemd", &services);
    for p in paths {
        let o = systemd_analyze()
            .args(["security", "--offline=yes", "--threshold=20", "--no-pager"])
            .arg(&p)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.success(),
            "systemd-analyze security {}: exposure above 2.0\n{}",
            p.display(),
            text.lines().last().unwrap_or_default()
        );
    }
}

/// The checks above catch unknown keys; this one catches a unit that is valid but wrong.
#[test]
fn packaging_systemd_units_hardening_and_exit_codes() {
    let listed: Vec<String> = std::fs::read_dir(repo().join("systemd"))
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut listed = listed;
    listed.sort();
    let mut expected: Vec<String> = shipped().map(String::from).collect();
    expected.sort();
    assert_eq!(listed, expected, "files in systemd/");

    let subs = ["sync", "sync-intraday", "backfill"];
    let services = SERVICES
        .iter()
        .zip(subs)
        .map(|(n, s)| (*n, s, false))
        .chain(
            TEMPLATE_SERVICES
                .iter()
                .zip(subs)
                .map(|(n, s)| (*n, s, true)),
        );
    for (name, sub, template) in services {
        for user in [false, true] {
            let rel = if user {
                format!("systemd/user/{name}")
            } else {
                format!("systemd/{name}")
            };
            let d = directives(&read(&rel));
            let one = |k: &str| -> String {
                let v = values(&d, k);
                assert_eq!(v.len(), 1, "{rel}: exactly one {k}= expected, got {v:?}");
                v[0].to_string()
            };
            assert_eq!(one("Type"), "oneshot", "{rel}");
            // The user flavour runs as the profile, so a shared label stops it (the dynamic
            // user of the system units cannot read /etc/syncbit: systemd hands it the file).
            let exec = if template && user {
                format!("/usr/bin/syncbit --profile %i {sub}")
            } else {
                format!("/usr/bin/syncbit {sub}")
            };
            assert_eq!(one("ExecStart"), exec, "{rel}");
            // 75 is "try again later"; 1, 2, 69 and 77 must fail the unit.
            assert_eq!(one("SuccessExitStatus"), "75 143", "{rel}");
            let state = if template { "syncbit/%i" } else { "syncbit" };
            assert_eq!(one("StateDirectory"), state, "{rel}");
            assert_eq!(one("NoNewPrivileges"), "yes", "{rel}");
            assert_eq!(
                one("RestrictAddressFamilies"),
                "AF_INET AF_INET6 AF_UNIX",
                "{rel}"
            );
            assert!(
                values(&d, "SystemCallFilter").contains(&"@system-service"),
                "{rel}: SystemCallFilter=@system-service"
            );
            assert!(!values(&d, "Restart").iter().any(|v| *v != "no"), "{rel}");
            if user {
                // %E is $XDG_CONFIG_HOME (default ~/.config), where `syncbit profile add` writes.
                let env = if template {
                    "%E/syncbit/%i.env"
                } else {
                    "-%E/syncbit/syncbit.env"
                };
                assert_eq!(one("EnvironmentFile"), env, "{rel}");
                // Options a user manager cannot honour without privileges stay out.
                for k in [
                    "DynamicUser",
                    "User",
                    "ProtectSystem",
                    "ProtectHome",
                    "PrivateTmp",
                    "CapabilityBoundingSet",
                    "LoadCredential",
                    "Wants",
                ] {
                    assert!(
                        values(&d, k).is_empty(),
                        "{rel}: {k}= is not for user units"
                    );
                }
            } else {
                // A template's env file is the profile: without it the unit does not start.
                let env = if template {
                    "/etc/syncbit/%i.env"
                } else {
                    "-/etc/syncbit/syncbit.env"
                };
                assert_eq!(one("EnvironmentFile"), env, "{rel}");
                for (k, v) in [
                    ("DynamicUser", "yes"),
                    ("ProtectSystem", "strict"),
                    ("ProtectHome", "yes"),
                    ("PrivateTmp", "yes"),
                    ("CapabilityBoundingSet", ""),
                    ("After", "network-online.target"),
                    ("Wants", "network-online.target"),
                ] {
                    assert_eq!(one(k), v, "{rel}: {k}");
                }
                let load = values(&d, "LoadCredential");
                let set = values(&d, "SetCredential");
                let creds = if template {
                    "/etc/syncbit/credentials/%i"
                } else {
                    "/etc/syncbit/credentials"
                };
                for s in SECRETS {
                    assert!(
                        load.contains(&format!("{s}:{creds}/{s}").as_str()),
                        "{rel}: LoadCredential for {s}"
                    );
                    // The blank default keeps a missing credential file from failing the start.
                    assert!(
                        set.contains(&format!("{s}:\\n").as_str()),
                        "{rel}: SetCredential default for {s}"
                    );
                }
            }
        }
    }

    for (name, minutes) in [
        ("syncbit-sync.timer", 15i64),
        ("syncbit-sync-intraday.timer", 60),
        ("syncbit-sync@.timer", 15),
        ("syncbit-sync-intraday@.timer", 60),
    ] {
        for rel in [format!("systemd/{name}"), format!("systemd/user/{name}")] {
            let d = directives(&read(&rel));
            assert_eq!(values(&d, "Persistent"), ["true"], "{rel}");
            assert_eq!(values(&d, "WantedBy"), ["timers.target"], "{rel}");
            assert_eq!(values(&d, "RandomizedDelaySec").len(), 1, "{rel}");
            let cal = values(&d, "OnCalendar");
            assert_eq!(cal.len(), 1, "{rel}: one OnCalendar=");
            assert_eq!(calendar_step_minutes(cal[0]), minutes, "{rel}: {}", cal[0]);
        }
    }
}

/// The spacing in minutes of the next elapses of an `OnCalendar=` expression, by
/// `systemd-analyze calendar` (panics unless it is regular).
fn calendar_step_minutes(expr: &str) -> i64 {
    let o = systemd_analyze()
        .args(["calendar", "--iterations=5", expr])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "systemd-analyze calendar {expr}: {text}"
    );
    let times: Vec<i64> = text
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("Next elapse:") || l.starts_with("Iter. #"))
        .map(|l| {
            let s = l.split_once(": ").unwrap().1.trim();
            // "Thu 2024-05-02 10:15:00 UTC"
            let s = s.split_once(' ').unwrap().1.trim_end_matches(" UTC");
            chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S")
                .unwrap()
                .and_utc()
                .timestamp()
        })
        .collect();
    assert_eq!(times.len(), 5, "systemd-analyze calendar {expr}:\n{text}");
    let steps: Vec<i64> = times.windows(2).map(|w| (w[1] - w[0]) / 60).collect();
    assert!(steps.iter().all(|s| *s == steps[0]), "{expr}: {steps:?}");
    steps[0]
}

/// The variables of the README's configuration table.
fn readme_variables() -> Vec<String> {
    let readme = read("README.md");
    let table = readme
        .split("## Configuration")
        .nth(1)
        .expect("README: ## Configuration")
        .split("\n## ")
        .next()
        .unwrap();
    let mut vars = Vec::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split('|').nth(1).unwrap();
        for part in first.split('`').skip(1).step_by(2) {
            if part
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            {
                vars.push(part.to_string());
            }
        }
    }
    assert!(vars.len() > 20, "README configuration table: {vars:?}");
    vars
}

#[test]
fn packaging_env_example_documents_every_readme_variable() {
    let env = read("contrib/syncbit.env.example");
    let vars = readme_variables();
    for v in &vars {
        assert!(
            env.lines()
                .any(|l| l.trim_start_matches('#').starts_with(&format!("{v}="))),
            "contrib/syncbit.env.example does not document {v}"
        );
    }
    // Every line is a comment or VARIABLE=value, so systemd's EnvironmentFile= and `set -a; .`
    // read it alike.
    let o = Command::new("sh")
        .arg("-c")
        .arg("set -eu; set -a; . ./contrib/syncbit.env.example")
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// Every generated file (path relative to the repository → content) from the current CLI.
fn generated() -> BTreeMap<String, Vec<u8>> {
    use clap_complete::Shell;
    let mut out = BTreeMap::new();
    let cmd = || syncbit::cli::Cli::command().term_width(100);
    for (shell, path) in [
        (Shell::Bash, "completions/syncbit.bash"),
        (Shell::Zsh, "completions/_syncbit"),
        (Shell::Fish, "completions/syncbit.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cmd(), "syncbit", &mut buf);
        out.insert(path.to_string(), buf);
    }
    // As clap_mangen::generate_to does, in memory: one page per visible (sub)command.
    fn pages(cmd: clap::Command, parents: &[String], out: &mut BTreeMap<String, Vec<u8>>) {
        let mut chain = parents.to_vec();
        chain.push(cmd.get_name().to_string());
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            pages(sub, &chain, out);
        }
        let (file, page) = man_page(&cmd, parents);
        out.insert(format!("man/{file}"), page.into_bytes());
    }
    let mut root = cmd().disable_help_subcommand(true);
    root.build();
    pages(root, &[], &mut out);
    out
}

/// Text for a roff text line: backslashes, dashes and apostrophes escaped as clap_mangen does
/// (its preamble defines `Aq`), and never taken for a control line.
fn roff(text: &str) -> String {
    let s = text
        .replace('\\', "\\e")
        .replace('-', "\\-")
        .replace('\'', "\\*(Aq");
    if s.starts_with('.') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// `A, B` as bold names that are never hyphenated.
fn bold_names(names: &str) -> String {
    names
        .split(", ")
        .map(|n| format!("\\fB\\%{}\\fR", roff(n)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `(code, meaning)` of every line of the exit-code table in `syncbit --help`.
fn exit_codes() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in syncbit::error::EXIT_CODES_HELP.lines().skip(1) {
        let t = line.trim();
        match t.split_once(char::is_whitespace) {
            Some((code, rest)) if code.chars().all(|c| c.is_ascii_digit()) => {
                out.push((code.to_string(), rest.trim().to_string()));
            }
            // A continuation line of the meaning above.
            _ if !t.is_empty() => {
                let last = out.last_mut().expect("exit code table starts with a code");
                last.1.push(' ');
                last.1.push_str(t);
            }
            _ => {}
        }
    }
    out
}

/// The examples of a command: the indented lines after `Examples:` in its `after_help`.
fn examples(cmd: &clap::Command) -> Vec<String> {
    let text = cmd
        .get_after_help()
        .map(|h| h.to_string())
        .unwrap_or_default();
    text.lines()
        .skip_while(|l| l.trim() != "Examples:")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().to_string())
        .collect()
}

/// One man page: clap_mangen's sections (title, name, synopsis, description, options, global
/// options, subcommands, version) with EXAMPLES, ENVIRONMENT, FILES, EXIT STATUS and SEE ALSO
/// before the version. Lists are `.TP` paragraphs, so their text lines up at one indent.
fn man_page(cmd: &clap::Command, parents: &[String]) -> (String, String) {
    use std::fmt::Write as _;
    // The after_help texts (examples, and the variables and exit codes of `syncbit --help`)
    // become sections of their own instead of clap_mangen's unformatted EXTRA.
    let plain = cmd
        .clone()
        .after_help(None::<&str>)
        .after_long_help(None::<&str>);
    let man = clap_mangen::Man::new(plain)
        .manual("syncbit manual")
        .source(format!("syncbit {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    man.render(&mut buf).unwrap();
    let page = String::from_utf8(buf).unwrap();

    let mut s = String::new();
    let ex = examples(cmd);
    if !ex.is_empty() {
        s += ".SH EXAMPLES\n.RS 4\n.nf\n";
        for e in ex {
            writeln!(s, "{}", roff(&e)).unwrap();
        }
        s += ".fi\n.RE\n";
    }
    s += ".SH ENVIRONMENT\n";
    for (names, meaning) in syncbit::cli::ENVIRONMENT {
        writeln!(s, ".TP\n{}\n{}", bold_names(names), roff(meaning)).unwrap();
    }
    writeln!(s, ".PP\n{}", roff(syncbit::cli::ENVIRONMENT_NOTE)).unwrap();
    s += ".SH FILES\n";
    for (path, what) in syncbit::cli::FILES {
        writeln!(s, ".TP\n{}\n{}", bold_names(path), roff(what)).unwrap();
    }
    s += ".SH \"EXIT STATUS\"\n";
    for (code, meaning) in exit_codes() {
        writeln!(s, ".TP\n\\fB{code}\\fR\n{}", roff(&meaning)).unwrap();
    }
    let mut see: Vec<String> = Vec::new();
    for i in 0..parents.len() {
        see.push(format!("\\fB{}\\fR(1)", roff(&parents[..=i].join("-"))));
    }
    see.push("\\fBsystemd.timer\\fR(5)".into());
    writeln!(s, ".SH \"SEE ALSO\"\n{}", see.join(", ")).unwrap();
    s += ".PP\nThe README (share/doc/syncbit/README.md under the installation prefix) has the whole \
          configuration table, the metrics, and how to run syncbit as a service.\n";

    // No hyphenation: option names, variables and paths are copied from man pages.
    let page = page.replacen("\n.SH NAME\n", "\n.nh\n.SH NAME\n", 1);
    let page = match page.find("\n.SH VERSION\n") {
        Some(i) => format!("{}\n{s}{}", &page[..i], &page[i + 1..]),
        None => format!("{page}{s}"),
    };
    (man.get_filename(), page)
}

#[test]
fn packaging_completions_and_man_pages_are_fresh() {
    let want = generated();
    let mut committed: Vec<String> = Vec::new();
    for dir in ["completions", "man"] {
        if let Ok(rd) = std::fs::read_dir(repo().join(dir)) {
            for e in rd {
                committed.push(format!(
                    "{dir}/{}",
                    e.unwrap().file_name().to_string_lossy()
                ));
            }
        }
    }
    if std::env::var_os("SYNCBIT_REGENERATE").is_some() {
        for stale in committed.iter().filter(|p| !want.contains_key(*p)) {
            std::fs::remove_file(repo().join(stale)).unwrap();
        }
        for (p, content) in &want {
            let path = repo().join(p);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, content).unwrap();
        }
        eprintln!("wrote {} files to completions/ and man/", want.len());
        return;
    }
    let mut problems = Vec::new();
    for stale in committed.iter().filter(|p| !want.contains_key(*p)) {
        problems.push(format!("{stale}: not generated any more"));
    }
    for (p, content) in &want {
        match std::fs::read(repo().join(p)) {
            Err(_) => problems.push(format!("{p}: missing")),
            Ok(have) if have != *content => problems.push(format!("{p}: differs")),
            Ok(_) => {}
        }
    }
    assert!(
        problems.is_empty(),
        "completions/ and man/ do not match the CLI in src/cli.rs:\n  {}\nRegenerate them with:\n  \
         SYNCBIT_REGENERATE=1 cargo test --test e2e packaging\nthen review and commit the changes.",
        problems.join("\n  ")
    );
    // One page per subcommand, nested ones included.
    for page in [
        "man/syncbit.1",
        "man/syncbit-sync.1",
        "man/syncbit-sync-intraday.1",
        "man/syncbit-backfill.1",
        "man/syncbit-state.1",
        "man/syncbit-state-show.1",
        "man/syncbit-state-reset.1",
        "man/syncbit-auth.1",
        "man/syncbit-auth-login.1",
        "man/syncbit-auth-status.1",
        "man/syncbit-auth-logout.1",
        "man/syncbit-profile.1",
        "man/syncbit-profile-add.1",
        "man/syncbit-profile-list.1",
        "man/syncbit-profile-remove.1",
    ] {
        assert!(want.contains_key(page), "{page} is not generated");
    }
}

/// The text of section `name` of a man page (roff source), up to the next `.SH`.
fn man_section<'a>(page: &'a str, name: &str) -> &'a str {
    let head = format!(".SH {name}\n");
    let Some(i) = page.find(&head) else {
        return "";
    };
    let rest = &page[i + head.len()..];
    &rest[..rest.find("\n.SH ").map_or(rest.len(), |j| j + 1)]
}

/// Every page has ENVIRONMENT with every variable of the README's configuration table, FILES
/// and EXIT STATUS with every exit code of `syncbit --help`, and EXAMPLES; rendered by groff,
/// the exit codes' meanings start in one column and no variable name is broken.
#[test]
fn packaging_man_pages_document_environment_files_and_exit_status() {
    let vars = readme_variables();
    let codes: Vec<String> = exit_codes().into_iter().map(|(c, _)| c).collect();
    for c in ["0", "1", "2", "69", "75", "77"] {
        assert!(codes.iter().any(|x| x == c), "exit code {c}: {codes:?}");
    }
    let pages: Vec<(String, String)> = generated()
        .into_iter()
        .filter(|(p, _)| p.starts_with("man/"))
        .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
        .collect();
    assert!(pages.len() >= 11, "{}", pages.len());
    for (path, page) in &pages {
        let env = man_section(page, "ENVIRONMENT");
        for v in &vars {
            assert!(
                env.contains(&format!("\\fB\\%{v}\\fR")),
                "{path}: ENVIRONMENT lacks {v}"
            );
        }
        let files = man_section(page, "FILES");
        for f in [
            "DATA_DIR/fitbit_tokens.json",
            "DATA_DIR/sync_state.json",
            "DATA_DIR/spool/",
            "DATA_DIR/syncbit.lock",
            "/etc/syncbit/syncbit.env",
        ] {
            assert!(files.contains(&bold_names(f)), "{path}: FILES lacks {f}");
        }
        let exit = man_section(page, "\"EXIT STATUS\"");
        for c in &codes {
            assert!(
                exit.contains(&format!(".TP\n\\fB{c}\\fR\n")),
                "{path}: EXIT STATUS lacks {c}"
            );
        }
        assert!(
            man_section(page, "EXAMPLES").contains("syncbit"),
            "{path}: no EXAMPLES"
        );
        assert!(!page.contains(".SH EXTRA"), "{path}: unformatted EXTRA");
    }

    if !have("groff", "groff-base") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    for (path, page) in &pages {
        let file = tmp.path().join("page.1");
        std::fs::write(&file, page).unwrap();
        let o = Command::new("groff")
            .args(["-man", "-Tascii", "-rLL=100n", "-P-cbou", "-ww"])
            .arg(&file)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            o.status.success() && err.trim().is_empty(),
            "groff {path}: {err}"
        );
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        // A section: the lines after its heading up to the next line in column 0.
        let section = |name: &str| -> String {
            let mut lines = text.lines().skip_while(|l| *l != name);
            assert!(lines.next().is_some(), "{path}: rendered {name}:\n{text}");
            lines
                .take_while(|l| l.is_empty() || l.starts_with(' '))
                .collect::<Vec<_>>()
                .join("\n")
        };
        let words = |s: &str| -> Vec<String> {
            s.split(|c: char| c.is_whitespace() || c == ',')
                .map(String::from)
                .collect()
        };
        let env = words(&section("ENVIRONMENT"));
        for v in &vars {
            assert!(env.contains(v), "{path}: rendered ENVIRONMENT lacks {v}");
        }
        // "       69     the Fitbit ...": every meaning starts in the same column.
        let exit = section("EXIT STATUS");
        let mut columns = Vec::new();
        for c in &codes {
            let line = exit
                .lines()
                .find(|l| l.trim_start().split(' ').next() == Some(c.as_str()))
                .unwrap_or_else(|| panic!("{path}: rendered EXIT STATUS lacks {c}:\n{exit}"));
            let meaning = line.trim_start()[c.len()..].trim_start();
            columns.push(line.len() - meaning.len());
        }
        assert!(
            columns.iter().all(|c| *c == columns[0]),
            "{path}: EXIT STATUS not aligned {columns:?}:\n{exit}"
        );
    }
}

/// Every command's help (`-h` and `--help`) lists the global options under their own heading,
/// after the command's own options, and has examples of that command.
#[test]
fn packaging_help_global_options_heading_and_examples() {
    fn paths(cmd: &clap::Command, prefix: Vec<String>, out: &mut Vec<Vec<String>>) {
        out.push(prefix.clone());
        for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
            let mut p = prefix.clone();
            p.push(sub.get_name().to_string());
            paths(sub, p, out);
        }
    }
    let mut all = Vec::new();
    paths(&syncbit::cli::Cli::command(), Vec::new(), &mut all);
    assert_eq!(all.len(), 16, "{all:?}");
    for path in &all {
        for flag in ["-h", "--help"] {
            let o = crate::support::syncbit()
                .args(path)
                .arg(flag)
                .env("COLUMNS", "100")
                .output()
                .unwrap();
            let help = String::from_utf8_lossy(&o.stdout);
            let what = format!("syncbit {} {flag}", path.join(" "));
            assert!(o.status.success(), "{what}");
            let (own, rest) = help
                .split_once("\nGlobal options:\n")
                .unwrap_or_else(|| panic!("{what}: no Global options heading:\n{help}"));
            let global = rest.split("\n\n").next().unwrap_or_default();
            let global = if flag == "--help" {
                // Long help puts a blank line between options: up to the first non-option.
                rest.split("\nExamples:\n").next().unwrap()
            } else {
                global
            };
            for g in [
                "--data-dir",
                "--dry-run",
                "--intraday-detail-level",
                "--lock-timeout",
            ] {
                assert!(global.contains(g), "{what}: {g} not under Global options");
                assert!(
                    !own.contains(g),
                    "{what}: {g} among the command's own options"
                );
            }
            assert!(own.contains("\nOptions:\n"), "{what}");
            let examples = rest
                .split_once("\nExamples:\n")
                .unwrap_or_else(|| panic!("{what}: no examples:\n{help}"))
                .1;
            let own_cmd = format!("syncbit {}", path.join(" "));
            assert!(
                examples
                    .lines()
                    .take_while(|l| l.starts_with("  "))
                    .any(|l| l.trim_start().contains(own_cmd.trim_end())),
                "{what}: no example of {own_cmd}:\n{examples}"
            );
        }
    }
    // The long help lists every variable of the README's configuration table.
    let o = crate::support::syncbit().arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&o.stdout);
    for v in readme_variables() {
        assert!(help.contains(&v), "syncbit --help lacks {v}");
    }
}

/// The value parser of the enumerated flags completes their values but leaves checking to the
/// configuration: a bad value exits 2 naming the variable (or the flag) it came from, never a
/// clap message, and an empty value means unset.
#[test]
fn packaging_enum_flags_are_checked_by_the_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |env: &[(&str, &str)], args: &[&str]| {
        let mut c = crate::support::syncbit();
        c.env("DATA_DIR", tmp.path()).args(args);
        for (k, v) in env {
            c.env(k, v);
        }
        let o = c.output().unwrap();
        (
            o.status.code(),
            String::from_utf8_lossy(&o.stderr).into_owned(),
        )
    };
    let not_clap = |err: &str, what: &str| {
        for clap_words in [
            "invalid value",
            "Usage:",
            "possible values",
            "For more information",
        ] {
            assert!(!err.contains(clap_words), "{what}: a clap message:\n{err}");
        }
    };
    for (var, flag, bad) in [
        ("INTRADAY_DETAIL_LEVEL", "--intraday-detail-level", "2min"),
        (
            "INTRADAY_HEART_RATE_DETAIL",
            "--intraday-heart-rate-detail",
            "2sec",
        ),
        ("INCLUDE_TODAY_DATA", "--include-today", "maybe"),
    ] {
        let (code, err) = run(&[(var, bad)], &["--dry-run", "sync"]);
        let what = format!("{var}={bad} syncbit --dry-run sync");
        assert_eq!(code, Some(2), "{what}: {err}");
        assert!(
            err.contains(&format!("{var}=\"{bad}\" is not valid")),
            "{what}:\n{err}"
        );
        not_clap(&err, &what);

        let (code, err) = run(&[], &["--dry-run", flag, bad, "sync"]);
        let what = format!("syncbit --dry-run {flag} {bad} sync");
        assert_eq!(code, Some(2), "{what}: {err}");
        assert!(
            err.contains(&format!("{flag}=\"{bad}\" is not valid")),
            "{what}:\n{err}"
        );
        assert!(!err.contains(var), "{what}:\n{err}");
        not_clap(&err, &what);
    }
    // Empty (an env file's `INTRADAY_DETAIL_LEVEL=`) and accepted values: the only problem left
    // is the missing OAuth client.
    for (env, args) in [
        (
            vec![
                ("INTRADAY_DETAIL_LEVEL", ""),
                ("INTRADAY_HEART_RATE_DETAIL", ""),
                ("INCLUDE_TODAY_DATA", ""),
            ],
            vec!["--dry-run", "sync"],
        ),
        (
            vec![],
            vec![
                "--dry-run",
                "--intraday-detail-level=",
                "--include-today",
                "",
                "sync",
            ],
        ),
        (
            vec![
                ("INCLUDE_TODAY_DATA", "yes"),
                ("INTRADAY_HEART_RATE_DETAIL", "1sec"),
            ],
            vec!["--dry-run", "--intraday-detail-level", "15min", "sync"],
        ),
    ] {
        let (code, err) = run(&env, &args);
        let what = format!("{env:?} syncbit {args:?}");
        assert_eq!(code, Some(2), "{what}: {err}");
        assert_eq!(err.lines().count(), 1, "{what}:\n{err}");
        assert!(err.contains("GOOGLE_CLIENT_ID"), "{what}:\n{err}");
        not_clap(&err, &what);
    }
}

/// What each shell offers at the end of `line`, in the completions of this repository.
/// `None`: the shell is not installed (and SYNCBIT_REQUIRE_VM is unset).
fn complete(shell: &str, line: &str) -> Option<Vec<String>> {
    let (prog, package) = match shell {
        "bash" => ("bash", "bash"),
        "zsh" => ("zsh", "zsh"),
        _ => ("fish", "fish"),
    };
    if !have(prog, package) {
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let mut c = Command::new("timeout");
    c.arg("60").current_dir(repo());
    match shell {
        "bash" => {
            // The completion function, called as readline calls it for `line`.
            let script = r#"
                set -u
                source completions/syncbit.bash || exit 10
                fn=$(complete -p syncbit | sed -n 's/.*-F \([^ ]*\).*/\1/p')
                [ -n "$fn" ] || exit 11
                # Outside readline, compopt (display options only) refuses to run.
                compopt() { :; }
                COMP_LINE=$1; COMP_POINT=${#COMP_LINE}
                read -ra COMP_WORDS <<<"$COMP_LINE"
                case $COMP_LINE in *' ') COMP_WORDS+=("") ;; esac
                COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
                prev=""; [ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}
                "$fn" syncbit "${COMP_WORDS[COMP_CWORD]}" "$prev" || exit 12
                printf '%s\n' "${COMPREPLY[@]}"
            "#;
            c.args(["bash", "--norc", "--noprofile", "-c", script, "bash", line]);
        }
        "zsh" => {
            // An interactive zsh on a pseudo-terminal (zpty) with the completion system and
            // compadd wrapped to write every candidate to a file, typing `line` and TAB.
            let out = tmp.path().join("out");
            let script = r#"
                zmodload zsh/zpty || exit 10
                dir=$1 out=$2 line=$3
                : >| $out
                zpty z zsh -f -i
                zpty -w z "PROMPT=''; RPROMPT=''; fpath=($dir \$fpath); autoload -Uz compinit; compinit -u -D"
                zpty -w z "zstyle ':completion:*' list-grouped false; zstyle ':completion:*' insert-tab false"
                zpty -w z 'compadd() { if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return; fi; local -a __hits; builtin compadd -A __hits "$@"; (( $#__hits )) && print -rl -- $__hits >> '$out'; builtin compadd "$@" }'
                zpty -w z "_done() { print -r -- '<done>' >> $out }; comppostfuncs=(_done)"
                zpty -w z 'bindkey "^I" complete-word'
                zpty -w -n z "$line"$'\t'
                for i in {1..400}; do
                  grep -q '^<done>$' $out 2>/dev/null && break
                  zpty -r -t z junk 2>/dev/null
                  sleep 0.05
                done
                zpty -d z
                grep -q '^<done>$' $out || { echo "no completion ran" >&2; exit 11; }
                grep -v '^<done>$' $out || true
            "#;
            let f = tmp.path().join("capture.zsh");
            std::fs::write(&f, script).unwrap();
            c.args(["zsh", "-f"])
                .arg(&f)
                .arg(repo().join("completions"))
                .arg(&out)
                .arg(line);
        }
        _ => {
            c.args([
                "fish",
                "--no-config",
                "-c",
                "source completions/syncbit.fish; and complete -C $argv[1]",
                line,
            ]);
        }
    }
    let o = c.output().expect("run the shell");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    );
    assert!(
        o.status.success() && err.trim().is_empty(),
        "{shell} completing {line:?}: exit {:?}\n{out}\n{err}",
        o.status.code()
    );
    // fish prints "candidate\tdescription".
    let mut words: Vec<String> = out
        .lines()
        .map(|l| l.split('\t').next().unwrap().trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    words.sort();
    words.dedup();
    Some(words)
}

/// Each shell really completes: subcommands, options, the values of the enumerated flags (not
/// file names), and nothing for free-form values.
#[test]
fn packaging_completions_complete_in_bash_zsh_and_fish() {
    let sorted = |v: &[&str]| {
        let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    let details = ["1min", "5min", "15min"];
    let heart = ["1sec", "1min", "5min", "15min"];
    let bools = ["true", "false"];
    let mut cases: Vec<(&str, &str, Vec<String>)> = vec![
        (
            "all",
            "syncbit sync --intraday-detail-level ",
            sorted(&details),
        ),
        (
            "all",
            "syncbit state show --intraday-heart-rate-detail ",
            sorted(&heart),
        ),
        ("all", "syncbit backfill --include-today ", sorted(&bools)),
        ("all", "syncbit sync-intraday --user-id ", vec![]),
        ("all", "syncbit backfill --from ", vec![]),
        // clap_complete's fish script does not see a subcommand yet when a global option
        // without its value precedes it, so this one is left to bash and zsh.
        (
            "bash zsh",
            "syncbit --intraday-detail-level ",
            sorted(&details),
        ),
    ];
    cases.push((
        "all",
        "syncbit s",
        sorted(&["state", "sync", "sync-intraday"]),
    ));
    let mut ran = 0;
    for shell in ["bash", "zsh", "fish"] {
        for (only, line, want) in &cases {
            if *only != "all" && !only.split(' ').any(|s| s == shell) {
                continue;
            }
            let Some(got) = complete(shell, line) else {
                break;
            };
            ran += 1;
            // bash's ValueHint::Other offers the word typed so far (here: nothing).
            let got: Vec<String> = got.into_iter().filter(|w| !w.is_empty()).collect();
            assert_eq!(&got, want, "{shell}: completing {line:?}");
        }
        if let Some(got) = complete(shell, "syncbit backfill --") {
            for opt in ["--intraday", "--days", "--reserve", "--plan", "--data-dir"] {
                assert!(got.iter().any(|w| w == opt), "{shell}: {opt} in {got:?}");
            }
        }
    }
    assert!(ran > 0);
}

/// Every file under `root` (relative paths, sorted) with its mode bits.
fn tree(root: &Path) -> Vec<(String, u32)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, u32)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            if meta.is_dir() {
                if std::fs::read_dir(&p).unwrap().next().is_none() {
                    out.push((format!("{rel}/"), meta.permissions().mode() & 0o7777));
                }
                walk(root, &p, out);
            } else {
                out.push((rel, meta.permissions().mode() & 0o7777));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn install(destdir: &Path, prefix: Option<&str>) -> String {
    let mut c = Command::new("bash");
    c.arg(repo().join("scripts/install.sh"))
        .env("DESTDIR", destdir)
        .env("SYNCBIT_BIN", env!("CARGO_BIN_EXE_syncbit"))
        .env_remove("PREFIX");
    if let Some(p) = prefix {
        c.env("PREFIX", p);
    }
    let o = c.output().expect("run scripts/install.sh");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "scripts/install.sh failed:\n{err}");
    err
}

#[test]
fn packaging_install_into_destdir() {
    let tmp = tempfile::tempdir().unwrap();
    let dest = tmp.path().join("root");
    install(&dest, Some("/usr"));

    let man: Vec<String> = generated()
        .keys()
        .filter_map(|p| p.strip_prefix("man/"))
        .map(String::from)
        .collect();
    assert!(man.len() >= 10, "{man:?}");
    let mut want: Vec<(String, u32)> = vec![
        ("usr/bin/syncbit".into(), 0o755),
        ("etc/syncbit/syncbit.env".into(), 0o600),
        ("etc/syncbit/credentials/".into(), 0o700),
        (
            "usr/share/bash-completion/completions/syncbit".into(),
            0o644,
        ),
        ("usr/share/zsh/site-functions/_syncbit".into(), 0o644),
        (
            "usr/share/fish/vendor_completions.d/syncbit.fish".into(),
            0o644,
        ),
    ];
    for doc in [
        "syncbit.env.example",
        "crontab.example",
        "syncbit-alerts.yml",
        "grafana-dashboard.json",
        "README.md",
    ] {
        want.push((format!("usr/share/doc/syncbit/{doc}"), 0o644));
    }
    for u in shipped() {
        want.push((format!("usr/lib/systemd/system/{u}"), 0o644));
        want.push((format!("usr/lib/systemd/user/{u}"), 0o644));
    }
    for m in &man {
        want.push((format!("usr/share/man/man1/{m}"), 0o644));
    }
    want.sort();
    assert_eq!(tree(&dest), want, "files installed under DESTDIR");

    // The binary is the one given, and runs.
    assert_eq!(
        std::fs::read(dest.join("usr/bin/syncbit")).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_syncbit")).unwrap()
    );
    let v = Command::new(dest.join("usr/bin/syncbit"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("syncbit "));
    // Units point at $PREFIX/bin/syncbit; everything else is as committed.
    for u in shipped() {
        for (src, dst) in [
            (
                format!("systemd/{u}"),
                format!("usr/lib/systemd/system/{u}"),
            ),
            (
                format!("systemd/user/{u}"),
                format!("usr/lib/systemd/user/{u}"),
            ),
        ] {
            let have = std::fs::read_to_string(dest.join(&dst)).unwrap();
            assert_eq!(have, read(&src), "{dst}");
        }
    }
    for (src, dst) in [
        (
            "completions/syncbit.bash",
            "usr/share/bash-completion/completions/syncbit",
        ),
        (
            "completions/_syncbit",
            "usr/share/zsh/site-functions/_syncbit",
        ),
        (
            "completions/syncbit.fish",
            "usr/share/fish/vendor_completions.d/syncbit.fish",
        ),
        ("contrib/syncbit.env.example", "etc/syncbit/syncbit.env"),
    ] {
        assert_eq!(
            std::fs::read_to_string(dest.join(dst)).unwrap(),
            read(src),
            "{dst}"
        );
    }

    // A second install keeps the administrator's env file.
    std::fs::write(dest.join("etc/syncbit/syncbit.env"), "FITBIT_USER_ID=me\n").unwrap();
    install(&dest, Some("/usr"));
    assert_eq!(
        std::fs::read_to_string(dest.join("etc/syncbit/syncbit.env")).unwrap(),
        "FITBIT_USER_ID=me\n"
    );
    assert_eq!(tree(&dest), want, "files after a second install");

    // Default PREFIX is /usr/local, and the units follow it.
    let dest2 = tmp.path().join("local");
    install(&dest2, None);
    let unit =
        std::fs::read_to_string(dest2.join("usr/local/lib/systemd/system/syncbit-sync.service"))
            .unwrap();
    assert!(
        unit.contains("\nExecStart=/usr/local/bin/syncbit sync\n") && !unit.contains("/usr/bin/"),
        "{unit}"
    );
    let user =
        std::fs::read_to_string(dest2.join("usr/local/lib/systemd/user/syncbit-backfill.service"))
            .unwrap();
    assert!(
        user.contains("\nExecStart=/usr/local/bin/syncbit backfill\n"),
        "{user}"
    );
    let template =
        std::fs::read_to_string(dest2.join("usr/local/lib/systemd/user/syncbit-backfill@.service"))
            .unwrap();
    assert!(
        template.contains("\nExecStart=/usr/local/bin/syncbit --profile %i backfill\n"),
        "{template}"
    );
    assert!(dest2.join("usr/local/bin/syncbit").is_file());
    assert!(dest2.join("usr/local/share/man/man1/syncbit.1").is_file());
    assert!(dest2.join("etc/syncbit/syncbit.env").is_file());
}

/// Copies `from` (a file or a folder, recursively) to `to`, keeping modes.
fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            copy_tree(&e.path(), &to.join(e.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// A checkout as a clone leaves it (the files install.sh reads), and with `built`, as
/// `cargo build --release` leaves it: the test's binary as `target/release/syncbit`, with a
/// marker appended (an ELF file runs with trailing bytes) so it can be told from any other.
/// Returns the bytes of that binary.
fn checkout(dir: &Path, built: bool) -> Vec<u8> {
    for rel in [
        "scripts/install.sh",
        "Cargo.toml",
        "README.md",
        "systemd",
        "completions",
        "man",
        "contrib",
    ] {
        copy_tree(&repo().join(rel), &dir.join(rel));
    }
    let mut bytes = std::fs::read(env!("CARGO_BIN_EXE_syncbit")).unwrap();
    bytes.extend_from_slice(format!("\nsyncbit install test {}\n", dir.display()).as_bytes());
    if built {
        let bin = dir.join("target/release/syncbit");
        std::fs::create_dir_all(bin.parent().unwrap()).unwrap();
        std::fs::write(&bin, &bytes).unwrap();
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    bytes
}

/// What sudo's `env_reset` and `secure_path` leave: no ~/.cargo/bin, no variables of the user.
const ROOT_PATH: &str = "/usr/sbin:/usr/bin:/sbin:/bin";

/// `<script>` run in the environment sudo gives it, from `cwd` (never the checkout), with
/// `vars`: exit code and stderr.
fn install_as_root(script: &Path, cwd: &Path, vars: &[(&str, &Path)]) -> (Option<i32>, String) {
    let mut c = Command::new("env");
    c.arg("-i").arg(format!("PATH={ROOT_PATH}"));
    for (k, v) in vars {
        c.arg(format!("{k}={}", v.display()));
    }
    let o = c.arg(script).current_dir(cwd).output().unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `sudo scripts/install.sh` after a user's `cargo build --release --locked`: run with sudo's
/// environment (`env -i`, root's PATH without cargo) from another folder, it installs the
/// built binary; without a build it says what to run, in two lines, and exits non-zero without
/// building; `SYNCBIT_BIN` given after sudo names another binary, relative paths included.
#[test]
fn packaging_install_as_root_after_a_user_build() {
    let tmp = tempfile::tempdir().unwrap();
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();

    let co = tmp.path().join("checkout");
    let built = checkout(&co, true);
    let dest = tmp.path().join("dest");
    let (code, err) = install_as_root(
        &co.join("scripts/install.sh"),
        &elsewhere,
        &[("DESTDIR", &dest)],
    );
    assert_eq!(code, Some(0), "install.sh as root:\n{err}");
    assert_eq!(
        std::fs::read(dest.join("usr/local/bin/syncbit")).unwrap(),
        built,
        "the installed binary is not the one built in the checkout"
    );
    let v = Command::new(dest.join("usr/local/bin/syncbit"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&v.stdout).starts_with("syncbit "));
    assert!(dest.join("usr/local/share/man/man1/syncbit.1").is_file());

    // Nothing built: two lines saying what to run; no cargo is run even where there is one.
    let bare = tmp.path().join("bare");
    checkout(&bare, false);
    let fake = tmp.path().join("fakebin");
    std::fs::create_dir_all(&fake).unwrap();
    let ran = tmp.path().join("cargo-ran");
    std::fs::write(
        fake.join("cargo"),
        format!("#!/bin/sh\ntouch {}\nexit 1\n", ran.display()),
    )
    .unwrap();
    std::fs::set_permissions(fake.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dest2 = tmp.path().join("dest2");
    let o = Command::new("env")
        .arg("-i")
        .arg(format!("PATH={}:{ROOT_PATH}", fake.display()))
        .arg(format!("DESTDIR={}", dest2.display()))
        .arg(bare.join("scripts/install.sh"))
        .current_dir(&elsewhere)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        !o.status.success(),
        "install.sh without a binary succeeded:\n{err}"
    );
    assert!(!ran.exists(), "install.sh ran cargo");
    assert!(!dest2.exists(), "install.sh installed something:\n{err}");
    assert!(err.lines().count() <= 2, "more than two lines:\n{err}");
    for w in [
        "target/release/syncbit",
        "cargo build --release --locked",
        "sudo scripts/install.sh",
        "rustup",
    ] {
        assert!(err.contains(w), "{w} not in:\n{err}");
    }
    let msrv = read("Cargo.toml")
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .unwrap()
        .trim_matches('"')
        .to_string();
    assert!(err.contains(&format!("Rust {msrv} or newer")), "{err}");

    // SYNCBIT_BIN, relative to where the script is started.
    let other = elsewhere.join("syncbit-copy");
    let mut bytes = built.clone();
    bytes.extend_from_slice(b"another\n");
    std::fs::write(&other, &bytes).unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dest3 = tmp.path().join("dest3");
    let (code, err) = install_as_root(
        &bare.join("scripts/install.sh"),
        &elsewhere,
        &[
            ("DESTDIR", &dest3),
            ("SYNCBIT_BIN", Path::new("./syncbit-copy")),
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        std::fs::read(dest3.join("usr/local/bin/syncbit")).unwrap(),
        bytes
    );
}

/// The README's `sudo SYNCBIT_BIN=… scripts/install.sh`, with the real sudo: a variable set
/// before sudo is dropped (env_reset), one given after it reaches the script.
#[test]
fn packaging_install_with_sudo_as_documented() {
    if !have("sudo", "sudo") {
        return;
    }
    let can = Command::new("sudo")
        .args(["-n", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !can {
        eprintln!("sudo needs a password here: skipped");
        return;
    }
    let readme = read("README.md");
    assert!(
        readme.contains("sudo SYNCBIT_BIN=/path/to/syncbit scripts/install.sh"),
        "README: the documented sudo form"
    );
    let tmp = tempfile::tempdir().unwrap();
    let co = tmp.path().join("checkout");
    let built = checkout(&co, true);
    let other = tmp.path().join("syncbit-other");
    let mut bytes = built.clone();
    bytes.extend_from_slice(b"other\n");
    std::fs::write(&other, &bytes).unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o755)).unwrap();

    // Before sudo: lost, so the checkout's build is installed.
    let dest = tmp.path().join("before");
    let o = Command::new("sudo")
        .arg("-n")
        .arg(format!("DESTDIR={}", dest.display()))
        .arg(co.join("scripts/install.sh"))
        .env("SYNCBIT_BIN", &other)
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(dest.join("usr/local/bin/syncbit")).unwrap(),
        built
    );

    // After sudo, as the README writes it.
    let dest = tmp.path().join("after");
    let o = Command::new("sudo")
        .arg("-n")
        .arg(format!("DESTDIR={}", dest.display()))
        .arg(format!("SYNCBIT_BIN={}", other.display()))
        .arg(co.join("scripts/install.sh"))
        .current_dir(tmp.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(dest.join("usr/local/bin/syncbit")).unwrap(),
        bytes
    );
}
