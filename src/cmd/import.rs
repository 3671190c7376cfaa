//! `syncbit import PATH…`: a person's whole history from their account export, offline.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::cli::{Global, ImportArgs};
use crate::config::{Needs, named, parse_date};
use crate::engine::Engine;
use crate::engine::progress::count;
use crate::error::Exit;
use crate::source::takeout::{self, Family, Options, Plan, Report, TakeoutSource, archive};

/// Run `import`.
pub fn run(g: &Global, a: &ImportArgs) -> Result<(), Exit> {
    let families = match a
        .families
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        None => Family::ALL.to_vec(),
        Some(list) => {
            let mut out = Vec::new();
            for name in list.split(',').filter(|s| !s.trim().is_empty()) {
                match Family::parse(name) {
                    Some(f) => out.push(f),
                    None => {
                        let all: Vec<&str> = Family::ALL.iter().map(|f| f.key()).collect();
                        return Err(Exit::usage(format!(
                            "--families: {:?} is not a family; accepted: {}",
                            name.trim(),
                            all.join(", ")
                        )));
                    }
                }
            }
            out
        }
    };
    let from = a
        .from
        .as_deref()
        .map(|v| parse_date("--from", v))
        .transpose()?;
    let to = a.to.as_deref().map(|v| parse_date("--to", v)).transpose()?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(Exit::usage(format!("--from {f} is after --to {t}")));
    }
    let export = archive::Export::open(&a.paths).map_err(|e| match e {
        archive::OpenError::NotExport(m) => Exit::usage(m),
        archive::OpenError::Io(m) => Exit::failure(m),
    })?;
    // Read only: the run takes the lock and reads it again.
    let state = crate::config::data_dir_of(g)
        .and_then(|d| crate::state::StateFile::load(&d).ok())
        .map(|s| s.state);
    let earlier = state
        .as_ref()
        .map(|s| s.book(takeout::ID).clone())
        .unwrap_or_default();
    // The export date comes from every family, also those not asked for.
    let whole = Plan::new(&export, &earlier);
    let plan = whole.only(&families);
    if plan.is_empty() {
        return Err(Exit::usage(if a.families.is_some() {
            "the export holds none of the families asked for with --families".to_string()
        } else {
            format!(
                "the export holds no file syncbit imports; expected {}",
                archive::EXPECTED
            )
        }));
    }
    let cached_zone = state.and_then(|s| s.profile_timezone);
    let (tz, zone_from) = zone(g, &plan, cached_zone.as_deref())?;
    let opts = Options { from, to };
    let cal = crate::calendar::Calendar::new(tz);
    if a.plan {
        print_plan(
            &export,
            &plan,
            whole.export_date(&export, &cal),
            tz,
            zone_from,
        );
        return Ok(());
    }
    let mut cfg = crate::config::load(
        g,
        Needs {
            credentials: false,
            sink: true,
        },
    )?;
    cfg.run.timezone = Some(tz);
    crate::interrupt::install();
    crate::health::run(&cfg, "import", |stats| {
        let mut e = Engine::open_offline(
            cfg.run.clone(),
            Box::new(TakeoutSource),
            super::open_sink(&cfg)?,
        )?;
        crate::info!("import: the user's days are in {tz} ({zone_from})");
        let survey = whole.survey(&export, &cal);
        let export_date = match survey.export_date {
            Some(d) => d,
            None => {
                let today = cal.today(e.now());
                crate::warn!(
                    "the export has no intraday record, resting heart rate or sleep log to tell its date; taking today ({today})"
                );
                today
            }
        };
        let (report, result) = takeout::import(&mut e, &export, &plan, export_date, &survey, &opts);
        stats.samples = report.summary.samples;
        print_summary(&report, e.opts.dry_run, result.is_ok());
        result?;
        if let Some(code) = report.interrupted {
            return Err(crate::engine::interrupted(code, report.summary.samples));
        }
        if report.incomplete() {
            return Err(Exit::failure(
                "some rows or files could not be imported (listed above); everything else was written",
            ));
        }
        Ok(())
    })
}

/// The user's zone: `--timezone`, else the export's profile, else `SYNCBIT_TIMEZONE`, else the
/// zone a live source cached in the state; with where it came from.
///
/// Errors: exit 2 when none is known or a name is not an IANA zone.
fn zone(g: &Global, plan: &Plan, cached: Option<&str>) -> Result<(Tz, &'static str), Exit> {
    let parse = |name: &str, v: &str| {
        v.trim().parse::<Tz>().map_err(|_| {
            Exit::usage(format!(
                "{name}={v:?} is not an IANA time zone (e.g. America/New_York)"
            ))
        })
    };
    let given = g
        .timezone
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty());
    let from_flag =
        given.filter(|_| named("SYNCBIT_TIMEZONE", "--timezone", given) == "--timezone");
    if let Some(v) = from_flag {
        return Ok((parse("--timezone", v)?, "--timezone"));
    }
    if let Some(z) = plan.profile_zone.as_deref() {
        match z.parse::<Tz>() {
            Ok(tz) => return Ok((tz, "the export's Your Profile/Profile.csv")),
            Err(_) => crate::warn!(
                "the export's Your Profile/Profile.csv names the time zone {z:?}, which is not an IANA zone; ignoring it"
            ),
        }
    }
    if let Some(v) = given {
        return Ok((parse("SYNCBIT_TIMEZONE", v)?, "SYNCBIT_TIMEZONE"));
    }
    if let Some(z) = cached.and_then(|z| z.parse::<Tz>().ok()) {
        return Ok((z, "the account's zone in the state file"));
    }
    Err(Exit::usage(
        "the export names no time zone (no Your Profile/Profile.csv); pass --timezone ZONE (e.g. --timezone America/New_York), the zone the person lived in",
    ))
}

fn print_plan(
    export: &archive::Export,
    plan: &Plan,
    export_date: Option<NaiveDate>,
    tz: Tz,
    from: &str,
) {
    let rows = plan.rows(export);
    println!("time zone: {tz} ({from})");
    match export_date {
        Some(d) => println!("export date: {d} (nothing after it is written)"),
        None => {
            println!("export date: unknown (no intraday record, resting heart rate or sleep log)")
        }
    }
    println!(
        "{:<20} {:<36} {:>7} {:>10} {:<23} {:>12}",
        "family", "encoding", "files", "MB", "dates in file names", "~samples"
    );
    let (mut files, mut bytes, mut est) = (0, 0, 0);
    for r in &rows {
        let span = r
            .span
            .map(|(a, b): (NaiveDate, NaiveDate)| format!("{a}..{b}"))
            .unwrap_or_default();
        println!(
            "{:<20} {:<36} {:>7} {:>10.1} {:<23} {:>12}",
            r.family.key(),
            r.encoding,
            r.files,
            r.bytes as f64 / 1e6,
            span,
            r.estimate
        );
        files += r.files;
        bytes += r.bytes;
        est += r.estimate;
    }
    println!(
        "{:<20} {:<36} {:>7} {:>10.1} {:<23} {:>12}",
        "all",
        "",
        files,
        bytes as f64 / 1e6,
        "",
        est
    );
}

/// The summary, on stderr whatever the log level: per family the encoding, files, samples and
/// skipped rows by reason, then the malformed rows and unreadable files.
fn print_summary(r: &Report, dry_run: bool, complete: bool) {
    let verb = if dry_run { "printed" } else { "written" };
    // After a failed push the families' counts include samples VictoriaMetrics did not take.
    let family_verb = if complete { verb } else { "read" };
    if let Some(d) = r.export_date {
        eprintln!("import summary (export date {d}):");
    }
    for (f, t) in &r.families {
        let mut line = format!(
            "  {}: {} read ({}), {} {family_verb}",
            f.key(),
            count(t.files, "file"),
            t.encoding,
            count(t.samples, "sample"),
        );
        if t.unchanged > 0 {
            line.push_str(&format!(
                ", {} unchanged since an earlier import",
                count(t.unchanged, "file")
            ));
        }
        if t.empty_files > 0 {
            line.push_str(&format!(
                ", {} without records",
                count(t.empty_files, "file")
            ));
        }
        if !t.skipped.is_empty() {
            let why: Vec<String> = t.skipped.iter().map(|(w, n)| format!("{n} {w}")).collect();
            line.push_str(&format!("; skipped: {}", why.join(", ")));
        }
        eprintln!("{line}");
        for m in &t.malformed {
            eprintln!("    malformed row: {m}");
        }
        let shown = t.malformed.len() as u64;
        let total = t
            .skipped
            .get(takeout::reason::MALFORMED)
            .copied()
            .unwrap_or(0);
        if total > shown {
            eprintln!("    … and {} more malformed rows", total - shown);
        }
        for fl in &t.failed {
            eprintln!("    not imported: {fl}");
        }
    }
    eprintln!(
        "  all: {} {verb}, {:.1} MB read",
        count(r.summary.samples as u64, "sample"),
        r.bytes as f64 / 1e6
    );
}
