//! Command-line definitions (clap). Also used to generate completions and man pages.

use clap::{Args, Parser, Subcommand};

/// The environment variables as `(names, meaning)`, in the order of the README's configuration
/// table. `syncbit --help` and the ENVIRONMENT section of the man pages are made from it.
pub const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "SYNCBIT_PROFILE",
        "the profile to run as (like --profile): loads its env file and uses its state folder",
    ),
    (
        "SYNCBIT_SOURCE",
        "google-health or fitbit-web-api [default: fitbit-web-api when FITBIT_CLIENT_ID is set \
         and GOOGLE_CLIENT_ID is not, else google-health]",
    ),
    (
        "GOOGLE_CLIENT_ID, GOOGLE_CLIENT_SECRET",
        "OAuth client (type Desktop app) of your Google Cloud project (secrets)",
    ),
    (
        "GOOGLE_HEALTH_API_BASE_URL",
        "Google Health API; calls go to <base>/v4/users/me/... \
         [default: https://health.googleapis.com]",
    ),
    (
        "GOOGLE_TOKEN_URL",
        "token endpoint [default: https://oauth2.googleapis.com/token]",
    ),
    (
        "GOOGLE_AUTH_URL",
        "authorize endpoint [default: https://accounts.google.com/o/oauth2/v2/auth]",
    ),
    (
        "GOOGLE_REVOKE_URL",
        "revocation endpoint [default: https://oauth2.googleapis.com/revoke]",
    ),
    (
        "GOOGLE_REDIRECT_URI",
        "OAuth redirect of auth login [default: http://127.0.0.1:<a free port>]",
    ),
    (
        "FITBIT_CLIENT_ID, FITBIT_CLIENT_SECRET",
        "OAuth client of your Fitbit app (secrets)",
    ),
    (
        "FITBIT_REDIRECT_URI",
        "OAuth redirect [default: http://localhost:8080/callback]",
    ),
    (
        "FITBIT_API_BASE_URL",
        "Fitbit Web API; token endpoint <base>/oauth2/token [default: https://api.fitbit.com]",
    ),
    (
        "FITBIT_AUTH_URL",
        "authorize endpoint [default: https://www.fitbit.com/oauth2/authorize]",
    ),
    (
        "VICTORIA_ENDPOINT",
        "import URL or base URL of VictoriaMetrics (secret)",
    ),
    (
        "VICTORIA_TENANT",
        "cluster tenant <accountID>[:<projectID>]: VICTORIA_ENDPOINT is then the vminsert base URL \
         [default: none, a single-node VictoriaMetrics]",
    ),
    (
        "VICTORIA_USER, VICTORIA_PASSWORD",
        "HTTP basic auth for VictoriaMetrics (secrets)",
    ),
    (
        "VICTORIA_BEARER_TOKEN",
        "Authorization: Bearer for VictoriaMetrics (secret)",
    ),
    (
        "DATA_DIR",
        "token, state and spool folder [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]",
    ),
    (
        "FITBIT_USER_ID",
        "value of the user label [default: default]",
    ),
    (
        "SYNCBIT_ALLOW_SHARED_USER",
        "true: this profile may share its user label on its endpoint with another profile that \
         allows it too [default: false]",
    ),
    (
        "SYNCBIT_TIMEZONE",
        "IANA zone of the user's days [default: the account's]",
    ),
    (
        "INCLUDE_TODAY_DATA",
        "also write today's intraday data: true/false [default: true]",
    ),
    (
        "BACKFILL_START_DATE",
        "first day of a daily backfill without --days/--from [default: the account's first day]",
    ),
    (
        "COLLECT_SLEEP, COLLECT_SPO2, COLLECT_BREATHING_RATE, COLLECT_HRV, \
         COLLECT_CARDIO_FITNESS, COLLECT_TEMPERATURE, COLLECT_DEVICE_INFO",
        "per-family switches: true/false [default: true]",
    ),
    (
        "ENABLE_INTRADAY_COLLECTION",
        "sync also runs the intraday pass [default: false]",
    ),
    ("INTRADAY_DETAIL_LEVEL", "1min, 5min, 15min [default: 5min]"),
    (
        "INTRADAY_HEART_RATE_DETAIL",
        "1sec, 1min, 5min, 15min [default: 1min]",
    ),
    (
        "INTRADAY_RESOURCES",
        "comma list of steps,calories,distance,elevation,floors,heart_rate \
         [default: steps,calories,distance,heart_rate]",
    ),
    (
        "ENABLE_INTRADAY_BACKFILL",
        "backfill also fetches intraday [default: false]",
    ),
    (
        "INTRADAY_BACKFILL_DAYS",
        "intraday backfill window in days [default: 30]",
    ),
    ("LOG_LEVEL", "DEBUG, INFO, WARNING, ERROR [default: INFO]"),
    (
        "SYNC_INTERVAL_MINUTES",
        "accepted and ignored: timers or cron set the schedule",
    ),
];

/// What follows [`ENVIRONMENT`] in the help and the man pages.
pub const ENVIRONMENT_NOTE: &str = "Empty counts as unset. Secrets are also read from \
$CREDENTIALS_DIRECTORY/<name> (systemd LoadCredential=), then /run/secrets/<name>, name in lower \
case (e.g. fitbit_client_secret).";

/// The files syncbit reads and writes, as `(path, what)`: `syncbit --help` and the FILES
/// section of the man pages.
pub const FILES: &[(&str, &str)] = &[
    (
        "DATA_DIR/google_tokens.json",
        "the Google OAuth tokens (mode 0600), replaced atomically",
    ),
    (
        "DATA_DIR/fitbit_tokens.json",
        "the OAuth tokens (mode 0600), replaced atomically; the previous pair is kept as \
         fitbit_tokens.json.bak",
    ),
    (
        "DATA_DIR/sync_state.json",
        "what has been written, per day and family or resource (syncbit state show); the last \
         good state is kept as sync_state.json.bak and stands in for a damaged file, which is \
         moved aside as sync_state.json.corrupt-<time>",
    ),
    (
        "DATA_DIR/spool/",
        "fetched batches not yet accepted by VictoriaMetrics; the next run pushes them first",
    ),
    (
        "DATA_DIR/syncbit.lock",
        "held during a run, so two runs on one DATA_DIR never overlap (--lock-timeout)",
    ),
    (
        "/etc/syncbit/syncbit.env",
        "configuration of the system units (EnvironmentFile=); the per-user units read \
         ~/.config/syncbit/syncbit.env",
    ),
    (
        "/etc/syncbit/credentials/<name>",
        "secrets of the system units (LoadCredential=), one file per secret, mode 0600",
    ),
    (
        "~/.config/syncbit/NAME.env",
        "the env file of profile NAME (--profile NAME, syncbit-sync@NAME.service --user), mode \
         0600; $XDG_CONFIG_HOME/syncbit/ when set",
    ),
    (
        "~/.local/state/syncbit/NAME/",
        "the state folder (DATA_DIR) of profile NAME, mode 0700; $XDG_STATE_HOME/syncbit/ when set",
    ),
    (
        "/etc/syncbit/NAME.env",
        "the env file of system profile NAME (syncbit-sync@NAME.service); a user's own profile of \
         the same name wins",
    ),
    (
        "/var/lib/syncbit/NAME/",
        "the state folder of system profile NAME (StateDirectory=syncbit/%i)",
    ),
    (
        "/etc/syncbit/credentials/NAME/<name>",
        "secrets of system profile NAME's units (LoadCredential=)",
    ),
];

/// `syncbit`'s own examples (each subcommand has its own in its `after_help`).
macro_rules! examples {
    () => {
        "\
Examples:
  syncbit auth login --no-browser       # authorize once
  syncbit backfill --days 365           # the history; resumes after rate limits
  syncbit sync                          # from a timer, every 15 minutes
  syncbit --dry-run sync | head         # what would be written, without writing it"
    };
}

/// `syncbit -h`: examples and exit codes (`--help` adds the variables and files).
const AFTER_HELP: &str = concat!(examples!(), "\n\n", crate::exit_codes_help!());

/// Lines of `text` wrapped at `width`: the first continues `first`, the others are indented
/// by `indent` spaces.
fn wrap(first: String, text: &str, indent: usize, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = first;
    let mut fresh = true;
    for word in text.split_whitespace() {
        if !fresh && line.len() + 1 + word.len() > width {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            fresh = true;
        }
        if !fresh {
            line.push(' ');
        }
        line.push_str(word);
        fresh = false;
    }
    lines.push(line);
    lines
}

/// `(names, meaning)` rows as an indented two-column list wrapped at `width`; names too long
/// for the first column stand on their own line(s).
fn rows(out: &mut Vec<String>, rows: &[(&str, &str)], width: usize) {
    const COLUMN: usize = 28;
    for (names, meaning) in rows {
        let head = format!("  {names}");
        let last = if head.len() + 2 <= COLUMN {
            head
        } else {
            let mut l = wrap("  ".into(), names, 2, width);
            let last = l.pop().unwrap_or_default();
            out.extend(l);
            last
        };
        let first = if last.len() + 2 <= COLUMN {
            format!("{last:COLUMN$}")
        } else {
            out.push(last);
            " ".repeat(COLUMN)
        };
        out.extend(wrap(first, meaning, COLUMN, width));
    }
}

/// `syncbit --help`: examples, every variable, the files, then the exit codes. (Flags that read
/// a variable also show it next to the flag.)
pub fn long_help() -> String {
    const WIDTH: usize = 96;
    let mut lines: Vec<String> = examples!().lines().map(String::from).collect();
    lines.push(String::new());
    lines.push("Environment:".into());
    rows(&mut lines, ENVIRONMENT, WIDTH);
    lines.extend(wrap("  ".into(), ENVIRONMENT_NOTE, 2, WIDTH));
    lines.push(String::new());
    lines.push("Files:".into());
    rows(&mut lines, FILES, WIDTH);
    lines.push(String::new());
    lines.push(crate::error::EXIT_CODES_HELP.into());
    lines.join("\n")
}

/// A value parser for the flags whose values the configuration checks (`src/config/`): it
/// declares its values for completions, and passes every value on unchanged, the empty one
/// included (empty means unset), so that a bad value is reported by the configuration under
/// the variable or the flag it came from, together with every other problem.
#[derive(Clone, Copy, Debug)]
pub struct Completes(pub &'static [&'static str]);

impl clap::builder::TypedValueParser for Completes {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::StringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            self.0
                .iter()
                .copied()
                .map(clap::builder::PossibleValue::new),
        ))
    }
}

/// Copy your Fitbit data into VictoriaMetrics, one pass per run.
///
/// Each run fetches what is missing from the Google Health API (or, for old setups, the Fitbit
/// Web API), writes it to VictoriaMetrics as Prometheus samples, records what was written in
/// DATA_DIR/sync_state.json, and exits.
/// Start it from systemd timers or cron.
#[derive(Debug, Parser)]
#[command(
    name = "syncbit",
    version,
    after_help = AFTER_HELP,
    after_long_help = long_help()
)]
pub struct Cli {
    /// Settings shared by every command, listed under their own heading in every command's help.
    #[command(flatten, next_help_heading = "Global options")]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every command. Each also reads the environment variable named in its help.
#[derive(Debug, Args)]
pub struct Global {
    /// Run as profile NAME: load its env file (variables already set in the environment win)
    /// and use its state folder as DATA_DIR (see `syncbit profile`)
    #[arg(
        long,
        global = true,
        env = "SYNCBIT_PROFILE",
        value_name = "NAME",
        value_hint = clap::ValueHint::Other
    )]
    pub profile: Option<String>,

    /// Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else
    /// ~/.local/state/syncbit]
    #[arg(
        long,
        global = true,
        env = "DATA_DIR",
        value_name = "DIR",
        value_hint = clap::ValueHint::DirPath
    )]
    pub data_dir: Option<String>,

    /// More output (-v: debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only warnings and errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    /// Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched
    #[arg(long, global = true)]
    pub dry_run: bool,

    /// VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended)
    /// [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]
    #[arg(long, global = true, value_name = "URL", value_hint = clap::ValueHint::Url)]
    pub victoria_endpoint: Option<String>,

    /// Value of the `user` label on every series [default: default]
    #[arg(
        long,
        global = true,
        env = "FITBIT_USER_ID",
        value_name = "NAME",
        value_hint = clap::ValueHint::Other
    )]
    pub user_id: Option<String>,

    /// IANA time zone of the user's days, overriding the account's (e.g. Europe/Berlin)
    #[arg(
        long,
        global = true,
        env = "SYNCBIT_TIMEZONE",
        value_name = "ZONE",
        value_hint = clap::ValueHint::Other
    )]
    pub timezone: Option<String>,

    /// Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token
    #[arg(
        long,
        global = true,
        env = "FITBIT_API_BASE_URL",
        value_name = "URL",
        value_hint = clap::ValueHint::Url
    )]
    pub api_base_url: Option<String>,

    /// Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only
    /// FITBIT_CLIENT_ID is set, else google-health]
    #[arg(
        long,
        global = true,
        env = "SYNCBIT_SOURCE",
        value_name = "SOURCE",
        value_parser = Completes(&["google-health", "fitbit-web-api"]),
        hide_possible_values = true
    )]
    pub source: Option<String>,

    /// Also write today's intraday data up to the tracker's last sync: true or false
    /// [default: true]
    #[arg(
        long,
        global = true,
        env = "INCLUDE_TODAY_DATA",
        value_name = "BOOL",
        value_parser = Completes(&["true", "false"]),
        hide_possible_values = true
    )]
    pub include_today: Option<String>,

    /// Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min
    /// [default: 5min]
    #[arg(
        long,
        global = true,
        env = "INTRADAY_DETAIL_LEVEL",
        value_name = "LEVEL",
        value_parser = Completes(&["1min", "5min", "15min"]),
        hide_possible_values = true
    )]
    pub intraday_detail_level: Option<String>,

    /// Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]
    #[arg(
        long,
        global = true,
        env = "INTRADAY_HEART_RATE_DETAIL",
        value_name = "LEVEL",
        value_parser = Completes(&["1sec", "1min", "5min", "15min"]),
        hide_possible_values = true
    )]
    pub intraday_heart_rate_detail: Option<String>,

    /// Comma list of steps,calories,distance,elevation,floors,heart_rate
    /// [default: steps,calories,distance,heart_rate]
    #[arg(
        long,
        global = true,
        env = "INTRADAY_RESOURCES",
        value_name = "LIST",
        value_hint = clap::ValueHint::Other
    )]
    pub intraday_resources: Option<String>,

    /// Seconds to wait for another syncbit run on the same DATA_DIR to finish
    #[arg(
        long,
        global = true,
        default_value_t = 30,
        value_name = "SECONDS",
        value_hint = clap::ValueHint::Other
    )]
    pub lock_timeout: u64,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Daily summaries of the recent days that are complete and not written yet
    ///
    /// Yesterday, plus days missed since the last run (at most 7 days back). A day is complete
    /// once the tracker has synced past its end; its daily values are written then, once (a
    /// value written earlier could never be corrected). With ENABLE_INTRADAY_COLLECTION=true
    /// this also runs the sync-intraday pass.
    #[command(
        after_help = "Examples:\n  syncbit sync\n  syncbit --dry-run sync | head\n  INCLUDE_TODAY_DATA=false syncbit sync"
    )]
    Sync,

    /// Intraday series of the recent days that are not complete yet
    ///
    /// Yesterday, and today up to the device's last sync when INCLUDE_TODAY_DATA is on, plus
    /// days missed since the last run (at most 7 days back).
    #[command(
        after_help = "Examples:\n  syncbit sync-intraday\n  INTRADAY_HEART_RATE_DETAIL=1sec syncbit sync-intraday"
    )]
    SyncIntraday,

    /// Daily summaries (and with --intraday, intraday series) of past days; resumable
    ///
    /// Without --days or --from: daily data from BACKFILL_START_DATE (or the account's first
    /// day), intraday data for the last INTRADAY_BACKFILL_DAYS days. An interrupted or
    /// rate-limited backfill continues where it stopped on the next run.
    #[command(
        after_help = "Examples:\n  syncbit backfill --days 30\n  syncbit backfill --intraday --days 7\n  syncbit backfill --from 2024-01-01 --to 2024-03-31"
    )]
    Backfill(BackfillArgs),

    /// Show or reset what syncbit has recorded as written
    #[command(
        subcommand,
        after_help = "Examples:\n  syncbit state show\n  syncbit state show --json | jq .intraday\n  syncbit state reset --intraday"
    )]
    State(StateCommand),

    /// Import a person's whole history from their account export (Google Takeout), offline
    ///
    /// Reads a folder, the .zip parts of a split export (together), or a .tgz, and writes every
    /// family it finds as the live sources write it: same metric names, same instants. Needs
    /// only VICTORIA_*, DATA_DIR, FITBIT_USER_ID and a time zone (--timezone, else the export's
    /// Your Profile/Profile.csv, else SYNCBIT_TIMEZONE): no source settings, no credentials.
    /// Resumable: files written are recorded by path, size and CRC-32, so a second run, or one
    /// after Ctrl-C or an outage, writes only what is missing.
    #[command(
        after_help = "Examples:\n  syncbit import ~/Downloads/takeout-20260415T101010Z-1-001.zip ~/Downloads/takeout-20260415T101010Z-1-002.zip\n  syncbit import --plan ~/Takeout\n  syncbit import --families heart_rate,sleep --from 2025-01-01 ~/Takeout\n  syncbit --dry-run import ~/Takeout | head"
    )]
    Import(ImportArgs),

    /// Authorize syncbit with the chosen source, show or remove the tokens
    #[command(
        subcommand,
        after_help = "Examples:\n  syncbit auth login\n  syncbit auth login --no-browser\n  syncbit auth status --check\n  syncbit auth logout"
    )]
    Auth(AuthCommand),

    /// Add, list or remove profiles: one env file and state folder per person
    ///
    /// A profile is a named person: NAME.env in ~/.config/syncbit/ (with --system
    /// /etc/syncbit/) and a state folder in ~/.local/state/syncbit/NAME/ (/var/lib/syncbit/NAME/).
    /// Run any command as the profile with `syncbit --profile NAME ...` or SYNCBIT_PROFILE=NAME;
    /// the timers are syncbit-sync@NAME.timer and syncbit-sync-intraday@NAME.timer.
    #[command(
        subcommand,
        after_help = "Examples:\n  syncbit profile add alice\n  syncbit profile add bob --endpoint http://127.0.0.1:8428 --user-label bob\n  syncbit --profile alice auth login\n  syncbit profile list\n  syncbit profile remove bob --purge"
    )]
    Profile(ProfileCommand),
}

/// `syncbit profile` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Create a profile: its env file (mode 0600) and state folder (mode 0700)
    ///
    /// The env file is the commented template of every variable with the given values filled
    /// in: the user label as FITBIT_USER_ID (default: NAME), the endpoint as VICTORIA_ENDPOINT,
    /// the source (--source) as SYNCBIT_SOURCE. A label that another profile already uses on
    /// the same endpoint is refused unless --allow-shared-user.
    #[command(
        after_help = "Examples:\n  syncbit profile add alice\n  syncbit profile add bob --endpoint http://127.0.0.1:8428 --user-label bob\n  sudo syncbit profile add carol --system --source google-health"
    )]
    Add {
        /// The profile's name: 1 to 32 of a-z, 0-9, '_' and '-', starting with a letter or digit
        #[arg(value_name = "NAME", value_hint = clap::ValueHint::Other)]
        name: String,
        /// VictoriaMetrics import URL or base URL, written as VICTORIA_ENDPOINT
        #[arg(long, value_name = "URL", value_hint = clap::ValueHint::Url)]
        endpoint: Option<String>,
        /// Value of the user label, written as FITBIT_USER_ID [default: NAME]
        #[arg(long, value_name = "LABEL", value_hint = clap::ValueHint::Other)]
        user_label: Option<String>,
        /// Share the user label with profiles that already use it on the same endpoint (also
        /// written into theirs, as SYNCBIT_ALLOW_SHARED_USER=true)
        #[arg(long)]
        allow_shared_user: bool,
        /// A profile of the system units: /etc/syncbit/NAME.env, state in /var/lib/syncbit/NAME
        #[arg(long)]
        system: bool,
    },
    /// Every profile (the user's, and the system's when readable), with account, label,
    /// endpoint, last success and newest complete day
    ///
    /// Exits 1, with one warning per pair, when two profiles share a user label on the same
    /// endpoint without both allowing it (SYNCBIT_ALLOW_SHARED_USER=true).
    #[command(after_help = "Examples:\n  syncbit profile list")]
    List,
    /// Remove a profile's env file; its state folder stays unless --purge
    #[command(
        after_help = "Examples:\n  syncbit profile remove bob\n  syncbit profile remove bob --purge"
    )]
    Remove {
        /// The profile's name
        #[arg(value_name = "NAME", value_hint = clap::ValueHint::Other)]
        name: String,
        /// Also revoke the tokens (syncbit auth logout) and delete the state folder
        #[arg(long)]
        purge: bool,
        /// The system profile (/etc/syncbit/NAME.env), also when the user has one of that name
        #[arg(long)]
        system: bool,
    },
}

/// `syncbit auth` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuthCommand {
    /// Authorize with the source (OAuth 2.0 authorization code + PKCE) and save the tokens
    ///
    /// Prints the authorization URL and waits on the loopback redirect for the browser to come
    /// back: Google Health API http://127.0.0.1:<free port> (or GOOGLE_REDIRECT_URI), Fitbit
    /// Web API FITBIT_REDIRECT_URI. With --no-browser, open the URL on any device and paste the
    /// address you are redirected to (or just the code) here.
    ///
    /// A data directory belongs to the account of its first run: a login with another account
    /// is refused (exit 77, the old tokens stay) unless --rebind.
    #[command(
        after_help = "Examples:\n  syncbit auth login\n  syncbit auth login --no-browser\n  syncbit auth login --rebind   # this directory now serves another account"
    )]
    Login {
        /// Do not listen for the redirect or open a browser; read the redirected URL from stdin
        #[arg(long)]
        no_browser: bool,
        /// Accept tokens of another account than the one this data directory belongs to:
        /// forgets the binding and all progress (data in VictoriaMetrics stays)
        #[arg(long)]
        rebind: bool,
        /// Seconds to wait for the authorization
        #[arg(long, default_value_t = 300, value_name = "SECONDS", value_hint = clap::ValueHint::Other)]
        timeout: u64,
    },
    /// Who is authorized, which scopes, when the access token expires
    #[command(after_help = "Examples:\n  syncbit auth status\n  syncbit auth status --check")]
    Status {
        /// Make one cheap API call (the profile) to prove the tokens work
        #[arg(long)]
        check: bool,
    },
    /// Revoke the tokens at Fitbit (when reachable) and delete the token file
    #[command(after_help = "Examples:\n  syncbit auth logout")]
    Logout,
}

/// `syncbit backfill` options.
#[derive(Debug, Args)]
pub struct BackfillArgs {
    /// Also fetch intraday series (also on when ENABLE_INTRADAY_BACKFILL=true)
    #[arg(long)]
    pub intraday: bool,

    /// The N days before today
    #[arg(long, value_name = "N", conflicts_with_all = ["from", "to"], value_hint = clap::ValueHint::Other,
          value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub days: Option<u32>,

    /// First day, YYYY-MM-DD
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub from: Option<String>,

    /// Last day, YYYY-MM-DD [default: yesterday]
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub to: Option<String>,

    /// Stop when the hour's remaining request budget falls to N, leaving it to the timers
    /// [default: 10, or a tenth of a smaller hourly limit]. Fitbit Web API only: the Google
    /// Health API's quota is per minute, and syncbit paces itself under it
    #[arg(long, value_name = "N", value_hint = clap::ValueHint::Other)]
    pub reserve: Option<u64>,

    /// Make no request: print how many requests the backfill needs per family and resource,
    /// how many are done, and how long the rest takes at the hourly budget
    #[arg(long)]
    pub plan: bool,
}

/// `syncbit import` options.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export: a folder (Takeout/Fitbit/ or Takeout/Google Health/ at any depth, or the
    /// folder itself), the .zip parts of one export, or a .tgz
    #[arg(required = true, value_name = "PATH", value_hint = clap::ValueHint::AnyPath)]
    pub paths: Vec<std::path::PathBuf>,

    /// Comma list of heart_rate, steps, distance, calories, active_minutes,
    /// resting_heart_rate, heart_rate_zones, sleep, spo2, breathing_rate, hrv, temperature,
    /// cardio_fitness [default: all]
    #[arg(long, value_name = "LIST", value_hint = clap::ValueHint::Other)]
    pub families: Option<String>,

    /// First local day to import, YYYY-MM-DD
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub from: Option<String>,

    /// Last local day to import, YYYY-MM-DD
    #[arg(long, value_name = "DATE", value_hint = clap::ValueHint::Other)]
    pub to: Option<String>,

    /// Write nothing: print per family the files, encoding, date span and estimated samples
    #[arg(long)]
    pub plan: bool,
}

/// `syncbit state` subcommands.
#[derive(Debug, Subcommand)]
pub enum StateCommand {
    /// Print what has been written, per family and resource
    #[command(
        after_help = "Examples:\n  syncbit state show\n  syncbit state show --json | jq .intraday"
    )]
    Show {
        /// The raw state file as JSON
        #[arg(long)]
        json: bool,
    },
    /// Forget progress so the next runs fetch again (data in VictoriaMetrics stays)
    #[command(after_help = "Examples:\n  syncbit state reset --intraday\n  syncbit state reset")]
    Reset {
        /// Only daily progress
        #[arg(long, conflicts_with = "intraday")]
        daily: bool,
        /// Only intraday progress
        #[arg(long)]
        intraday: bool,
    },
}

#[cfg(test)]
mod tests {
    /// Every variable the configuration reads (`var("…")`, `secret("…")`, `env = "…"`, and
    /// the `COLLECT_*` table) is listed in `syncbit --help`.
    #[test]
    fn long_help_lists_every_variable() {
        let sources = [
            include_str!("config/mod.rs"),
            include_str!("config/fitbit.rs"),
            include_str!("config/google.rs"),
            include_str!("config/sink.rs"),
            include_str!("config/profile.rs"),
            include_str!("cli.rs"),
        ];
        let mut names = Vec::new();
        for text in sources {
            for piece in text.split('"').skip(1).step_by(2) {
                let looks_like_var = piece.len() > 3
                    && piece.contains('_')
                    && piece
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
                if looks_like_var {
                    names.push(piece);
                }
            }
        }
        names.retain(|n| !["STATE_DIRECTORY", "CREDENTIALS_DIRECTORY"].contains(n));
        let help = super::long_help();
        assert!(names.len() > 20, "{names:?}");
        for n in names {
            assert!(help.contains(n), "{n} is not in --help");
        }
    }
}
