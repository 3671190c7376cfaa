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
const SECRETS: [&str; 6] = [
    "fitbit_client_id",
    "fitbit_client_secret",
    "victoria_endpoint",
    "victoria_user",
    "victoria_password",
    "victoria_bearer_token",
];

fn units() -> impl Iterator<Item = &'static str> {
    SERVICES.iter().chain(TIMERS.iter()).copied()
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
fn copies(src: &str, names: &[&str]) -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let units = tmp.path().join("units");
    std::fs::create_dir_all(&units).unwrap();
    let bin = env!("CARGO_BIN_EXE_syncbit");
    let mut paths = Vec::new();
    for n in names {
        let text = read(&format!("{src}/{n}")).replace("/usr/bin/syncbit", bin);
        let p = units.join(n);
        std::fs::write(&p, text).unwrap();
        paths.push(p);
    }
    (tmp, paths)
}

/// `systemd-analyze [--user] verify` of copies of `names`: its exit status and output.
fn verify(src: &str, names: &[&str], user: bool) -> (bool, String) {
    let (tmp, paths) = copies(src, names);
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
    // systemd's own exposure score of the system services: at most 2.0 of 10 ("OK").
    let (_tmp, paths) = copies("systemd", &SERVICES);
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
    let mut expected: Vec<String> = units().map(String::from).collect();
    expected.sort();
    assert_eq!(listed, expected, "files in systemd/");

    for (name, sub) in SERVICES.iter().zip(["sync", "sync-intraday", "backfill"]) {
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
            assert_eq!(one("ExecStart"), format!("/usr/bin/syncbit {sub}"), "{rel}");
            // 75 is "try again later"; 1, 2, 69 and 77 must fail the unit.
            assert_eq!(one("SuccessExitStatus"), "75", "{rel}");
            assert_eq!(one("StateDirectory"), "syncbit", "{rel}");
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
                assert_eq!(one("EnvironmentFile"), "-%E/syncbit/syncbit.env", "{rel}");
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
                assert_eq!(one("EnvironmentFile"), "-/etc/syncbit/syncbit.env", "{rel}");
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
                for s in SECRETS {
                    assert!(
                        load.contains(&format!("{s}:/etc/syncbit/credentials/{s}").as_str()),
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

#[test]
fn packaging_env_example_documents_every_readme_variable() {
    let readme = read("README.md");
    let env = read("contrib/syncbit.env.example");
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
    fn pages(cmd: clap::Command, out: &mut BTreeMap<String, Vec<u8>>) {
        for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
            pages(sub, out);
        }
        let man = clap_mangen::Man::new(cmd).manual("syncbit manual");
        let mut buf = Vec::new();
        man.render(&mut buf).unwrap();
        out.insert(format!("man/{}", man.get_filename()), buf);
    }
    let mut root = cmd().disable_help_subcommand(true);
    root.build();
    pages(root, &mut out);
    out
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
    ] {
        assert!(want.contains_key(page), "{page} is not generated");
    }
}

#[test]
fn packaging_bash_completion_loads_and_completes() {
    let script = r#"
        set -u
        source completions/syncbit.bash || exit 10
        complete -p syncbit || exit 11
        fn=$(complete -p syncbit | sed -n 's/.*-F \([^ ]*\).*/\1/p')
        COMP_WORDS=(syncbit s); COMP_CWORD=1; COMP_LINE="syncbit s"; COMP_POINT=${#COMP_LINE}
        "$fn" syncbit s syncbit
        echo "words: ${COMPREPLY[*]}"
        COMP_WORDS=(syncbit backfill --); COMP_CWORD=2; COMP_LINE="syncbit backfill --"
        COMP_POINT=${#COMP_LINE}
        "$fn" syncbit -- backfill
        echo "backfill: ${COMPREPLY[*]}"
    "#;
    let o = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .current_dir(repo())
        .output()
        .expect("run bash");
    let (out, err) = (
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
    );
    assert!(
        o.status.success() && err.trim().is_empty(),
        "bash completion: exit {:?}\n{out}\n{err}",
        o.status.code()
    );
    let spec = out.lines().next().unwrap_or_default();
    assert!(
        spec.starts_with("complete ") && spec.contains(" -F ") && spec.ends_with(" syncbit"),
        "{out}"
    );
    let words = out.lines().find(|l| l.starts_with("words: ")).unwrap();
    assert!(words.split(' ').any(|w| w == "state"), "{out}");
    assert!(words.split(' ').any(|w| w == "sync-intraday"), "{out}");
    assert!(!words.split(' ').any(|w| w == "backfill"), "{out}");
    let backfill = out.lines().find(|l| l.starts_with("backfill: ")).unwrap();
    for opt in ["--intraday", "--days", "--reserve", "--data-dir"] {
        assert!(backfill.split(' ').any(|w| w == opt), "{opt}: {out}");
    }
}

/// zsh and fish check the syntax of their completions when they are installed (skipped
/// otherwise: only bash is required).
#[test]
fn packaging_zsh_and_fish_completions_parse() {
    for (shell, args) in [
        ("zsh", vec!["-n", "completions/_syncbit"]),
        ("fish", vec!["--no-execute", "completions/syncbit.fish"]),
    ] {
        let Ok(o) = Command::new(shell).args(&args).current_dir(repo()).output() else {
            eprintln!("{shell} not installed: skipped");
            continue;
        };
        assert!(
            o.status.success(),
            "{shell} {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
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
    for u in units() {
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
    for u in units() {
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
    assert!(dest2.join("usr/local/bin/syncbit").is_file());
    assert!(dest2.join("usr/local/share/man/man1/syncbit.1").is_file());
    assert!(dest2.join("etc/syncbit/syncbit.env").is_file());
}
