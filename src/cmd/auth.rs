//! `syncbit auth login|status|logout`: OAuth 2.0 authorization code grant with PKCE (S256),
//! token status, revocation, for the configured source. The loopback listener and the pasted
//! redirect are shared by both sources.

use chrono::Utc;
use oauth2::{AuthorizationCode, CsrfToken, PkceCodeChallenge, RedirectUrl, Scope};
use std::io::{BufRead, Read, Write};
use std::net::TcpListener;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cli::{AuthCommand, Global};
use crate::config::fitbit::FitbitSettings;
use crate::config::google::GoogleSettings;
use crate::config::{Config, Needs, SourceSettings};
use crate::error::{Exit, FAILURE, NOPERM, USAGE};
use crate::fsutil::{ensure_dir, lock_dir};
use crate::source::fitbit::tokens::{
    OAuthClient, PROVIDER, TokenFile, TokenStore, oauth_client, refresh_error, token_file,
};
use crate::source::google::tokens as gt;
use crate::source::{Family, Owner, Resource, Series, SourceError, http};
use crate::state::{Binding, StateFile};

/// Run an `auth` subcommand.
pub fn run(g: &Global, c: &AuthCommand) -> Result<(), Exit> {
    match c {
        AuthCommand::Login {
            no_browser,
            rebind,
            timeout,
        } => {
            let cfg = crate::config::load(g, needs(true))?;
            let how = Login {
                no_browser: *no_browser,
                rebind: *rebind,
                timeout: Duration::from_secs(*timeout),
            };
            match &cfg.source {
                SourceSettings::FitbitWebApi(fb) => login(&cfg, fb, &how),
                SourceSettings::GoogleHealth(gs) => google_login(&cfg, gs, &how),
            }
        }
        AuthCommand::Status { check } => {
            let cfg = crate::config::load(g, needs(*check))?;
            match &cfg.source {
                SourceSettings::FitbitWebApi(fb) => status(&cfg, fb, *check),
                SourceSettings::GoogleHealth(gs) => google_status(&cfg, gs, *check),
            }
        }
        AuthCommand::Logout => {
            let cfg = crate::config::load(g, needs(true))?;
            match &cfg.source {
                SourceSettings::FitbitWebApi(fb) => logout(&cfg, fb),
                SourceSettings::GoogleHealth(gs) => google_logout(&cfg, gs),
            }
        }
    }
}

/// How `auth login` was asked to run.
struct Login {
    no_browser: bool,
    rebind: bool,
    timeout: Duration,
}

/// What a login does to the state once its tokens are saved.
enum AfterLogin {
    Nothing,
    /// `--rebind`: the state starts over.
    StartOver(Box<StateFile>),
}

/// Compare the account of the new tokens with the directory's binding, before they are
/// saved.
///
/// A login as another account is refused with exit 77, as a run with those tokens would be:
/// the directory still needs the tokens of its own account, and the old token file is kept.
/// The new grant is not revoked: it may be the one the other account's own directory uses.
///
/// Errors: exit 77 for another account without `--rebind`; exit 1 when the state cannot be
/// read.
fn check_login(
    cfg: &Config,
    source: &str,
    owner: Option<&Owner>,
    rebind: bool,
) -> Result<AfterLogin, Exit> {
    let sf = StateFile::load(&cfg.run.data_dir).map_err(Exit::failure)?;
    let binding = owner.map(|o| sf.state.binding(source, o));
    let unbound_with_progress = sf.state.account_id.is_none() && !is_blank(&sf.state);
    match binding {
        Some(Binding::Same | Binding::Moved) => {
            if rebind {
                eprintln!(
                    "This data directory already belongs to this account; --rebind forgets nothing"
                );
            }
            Ok(AfterLogin::Nothing)
        }
        Some(Binding::Foreign(bound_source, bound)) if !rebind => Err(Exit::new(
            NOPERM,
            format!(
                "{} belongs to {bound_source} account {bound}, but this login is account {}; the new tokens were \
                 not saved (the old ones stay)\nuse another data directory (--data-dir or a profile) for it, or \
                 `syncbit auth login --rebind` to start this directory over for it (forgets its progress; data in \
                 VictoriaMetrics stays)",
                cfg.run.data_dir.display(),
                owner.map(|o| o.id.as_str()).unwrap_or_default()
            ),
        )),
        Some(Binding::Foreign(..)) => Ok(AfterLogin::StartOver(Box::new(sf))),
        _ if rebind && unbound_with_progress => Ok(AfterLogin::StartOver(Box::new(sf))),
        _ => Ok(AfterLogin::Nothing),
    }
}

/// Whether a state holds nothing of any account.
fn is_blank(st: &crate::state::State) -> bool {
    st.books()
        .all(|(_, b)| b.is_empty() && b.files.is_empty() && b.days.is_empty())
        && st.quota.is_empty()
}

/// `--rebind`: forget the old account's binding, progress, memos and the journal it left
/// (its data never reaches VictoriaMetrics then, which the warning says).
fn start_over(cfg: &Config, mut sf: StateFile) -> Result<(), Exit> {
    let journal = crate::engine::journal::Journal::new(&cfg.run.data_dir, String::new());
    let pending = journal.pending();
    if !pending.is_empty() {
        crate::warn!(
            "discarding {} of the old account in {} that never reached VictoriaMetrics",
            crate::engine::progress::count(pending.len() as u64, "fetched batch"),
            journal.dir().display()
        );
    }
    for (p, _) in pending {
        remove(&p)?;
    }
    sf.state.start_over();
    sf.save()
        .map_err(|e| Exit::failure(format!("cannot write {}: {e}", sf.path.display())))?;
    // The backup holds the old account's progress and binding; a damaged state must not fall
    // back to it.
    remove(&crate::state::backup_path(&sf.path))?;
    eprintln!(
        "Started {} over for the new account: binding and progress forgotten (data in VictoriaMetrics stays)",
        cfg.run.data_dir.display()
    );
    Ok(())
}

fn finish_login(cfg: &Config, after: AfterLogin) -> Result<(), Exit> {
    match after {
        AfterLogin::Nothing => Ok(()),
        AfterLogin::StartOver(sf) => start_over(cfg, *sf),
    }
}

fn needs(credentials: bool) -> Needs {
    Needs {
        credentials,
        sink: false,
    }
}

/// The scopes the configured collection needs, and what each one enables.
pub fn scopes(cfg: &Config) -> Vec<(&'static str, &'static str)> {
    let mut s = vec![
        (
            "activity",
            "daily activity and intraday steps, calories, distance, elevation, floors",
        ),
        (
            "heartrate",
            "resting heart rate, heart-rate zones, HRV and intraday heart rate",
        ),
        (
            "profile",
            "the profile time zone (else set SYNCBIT_TIMEZONE)",
        ),
        (
            "settings",
            "device battery and last sync time (completeness of days)",
        ),
    ];
    for f in &cfg.run.families {
        match f {
            Family::Sleep => s.push(("sleep", "fitbit_sleep_* metrics")),
            Family::Spo2 => s.push(("oxygen_saturation", "fitbit_spo2_* metrics")),
            Family::BreathingRate => s.push(("respiratory_rate", "fitbit_breathing_rate_bpm")),
            Family::CardioFitness => s.push(("cardio_fitness", "fitbit_vo2_max")),
            Family::Temperature => s.push(("temperature", "fitbit_temp_skin_relative_celsius")),
            Family::Activity | Family::Heart | Family::Hrv => {}
        }
    }
    s
}

/// The exit for a source error; a refused scope also means "authorize again" here.
fn src_exit(e: SourceError) -> Exit {
    match e {
        SourceError::Forbidden(m) => Exit::new(NOPERM, m),
        other => Exit::from(other),
    }
}

/// The `code` and `state` of a redirect URL (or a bare code), with Fitbit's `#_=_` suffix
/// stripped.
///
/// Errors: the redirect carries `error=` (the user denied access).
pub fn parse_redirect(input: &str) -> Result<(String, Option<String>), Exit> {
    let text = input.trim().trim_end_matches("#_=_").trim();
    let query = if let Some((_, q)) = text.split_once('?') {
        q
    } else if text.contains('=') {
        text
    } else if text.is_empty() || text.chars().any(char::is_whitespace) {
        return Err(Exit::usage(
            "nothing usable was pasted; paste the whole address the browser was sent to (it contains code=...)",
        ));
    } else {
        return Ok((text.to_string(), None));
    };
    let query = query.split('#').next().unwrap_or("");
    let mut code = None;
    let mut state = None;
    let mut error = None;
    for (k, v) in oauth2::url::form_urlencoded::parse(query.as_bytes()) {
        match k.as_ref() {
            "code" => code = Some(v.into_owned()),
            "state" => state = Some(v.into_owned()),
            "error" => error = Some(v.into_owned()),
            _ => {}
        }
    }
    if let Some(e) = error {
        return Err(Exit::new(
            NOPERM,
            format!(
                "the authorization was answered with error {e:?}; run `syncbit auth login` again and allow access"
            ),
        ));
    }
    match code {
        Some(c) if !c.is_empty() => Ok((c, state)),
        _ => Err(Exit::new(
            USAGE,
            "no authorization code found in what was pasted; paste the whole address the browser was sent to",
        )),
    }
}

/// Bind the loopback address of the redirect URI (named by the variable `var`), before
/// anything is printed.
fn listen(redirect: &str, var: &str) -> Result<(TcpListener, String), Exit> {
    let url = oauth2::url::Url::parse(redirect)
        .map_err(|e| Exit::usage(format!("{var}={redirect:?} is not valid: {e}")))?;
    let host = url.host_str().unwrap_or("");
    if !["localhost", "127.0.0.1", "[::1]"].contains(&host) {
        return Err(Exit::usage(format!(
            "{var}={redirect:?} is not on this machine's loopback; use `syncbit auth login --no-browser`"
        )));
    }
    let port = url.port_or_known_default().unwrap_or(80);
    let bind = if host == "[::1]" {
        "[::1]"
    } else {
        "127.0.0.1"
    };
    let listener = TcpListener::bind(format!("{bind}:{port}")).map_err(|e| {
        Exit::new(
            FAILURE,
            format!("cannot listen on {bind}:{port} for the redirect ({e}); free the port or use --no-browser"),
        )
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|e| Exit::failure(format!("cannot listen for the redirect: {e}")))?;
    Ok((listener, url.path().to_string()))
}

/// Wait for the browser's redirect carrying `state`; answer every request with a short page.
/// Redirects with another state (stale tabs, forgeries) are answered 400 and ignored.
fn wait_for_redirect(
    listener: &TcpListener,
    path: &str,
    state: &str,
    timeout: Duration,
) -> Result<String, Exit> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((mut stream, _)) => {
                let _ = stream.set_nonblocking(false);
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 8192];
                let n = stream.read(&mut buf).unwrap_or(0);
                let head = String::from_utf8_lossy(&buf[..n]);
                let target = head
                    .lines()
                    .next()
                    .and_then(|l| l.split_whitespace().nth(1))
                    .unwrap_or("")
                    .to_string();
                let ours = target.split('?').next() == Some(path)
                    && (target.contains("code=") || target.contains("error="));
                let matches = ours
                    && (target.contains("error=")
                        || matches!(parse_redirect(&target), Ok((_, Some(s))) if s == state));
                let (status, page) = if matches {
                    (
                        "200 OK",
                        "syncbit: authorization received. You can close this tab.",
                    )
                } else if ours {
                    crate::warn!("ignored a redirect whose state does not match this login");
                    (
                        "400 Bad Request",
                        "syncbit: this redirect does not belong to the login in progress.",
                    )
                } else {
                    (
                        "404 Not Found",
                        "syncbit: waiting for the authorization redirect.",
                    )
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                if matches {
                    return Ok(target);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => {
                return Err(Exit::failure(format!(
                    "waiting for the redirect failed: {e}"
                )));
            }
        }
    }
    Err(Exit::new(
        crate::error::TEMPFAIL,
        format!(
            "no authorization arrived within {} s; run `syncbit auth login` again",
            timeout.as_secs()
        ),
    ))
}

fn try_open_browser(url: &str) {
    let graphical =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !graphical {
        return;
    }
    let _ = std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

/// Where the browser is sent back to: a listener on this machine, or (`None`) the address
/// the user pastes.
type Listening = Option<(TcpListener, String)>;

/// Show the authorization address, get the redirect (from the listener, or pasted on stdin),
/// and check that it belongs to this login: the authorization code.
///
/// Errors: exit 77 for a foreign `state` or a refused consent, 75 when nothing arrives within
/// `timeout`, 2 when nothing usable was pasted.
fn receive(
    url: &oauth2::url::Url,
    csrf: &CsrfToken,
    listening: &Listening,
    redirect_uri: &str,
    provider: &str,
    timeout: Duration,
) -> Result<String, Exit> {
    eprintln!("Open this address in a browser and allow syncbit access to your {provider} data:");
    println!("{url}");
    let _ = std::io::stdout().flush();
    let pasted = if let Some((listener, path)) = listening {
        try_open_browser(url.as_str());
        eprintln!("Waiting for {provider} to send the browser back to {redirect_uri} ...");
        wait_for_redirect(listener, path, csrf.secret(), timeout)?
    } else {
        eprintln!(
            "Then paste the address your browser was sent to (or just the code) and press Enter:"
        );
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Exit::failure(format!("cannot read the pasted address: {e}")))?;
        line
    };
    let (code, state) = parse_redirect(&pasted)?;
    if let Some(state) = state
        && state != *csrf.secret()
    {
        return Err(Exit::new(
            NOPERM,
            "the state in the redirect does not match this login (a stale or forged redirect); run `syncbit auth login` again",
        ));
    }
    Ok(code)
}

/// The data directory, created when missing, with its run lock held (a login writes the token
/// file that running timers read).
fn locked_data_dir(cfg: &Config) -> Result<crate::fsutil::RunLock, Exit> {
    let dir = &cfg.run.data_dir;
    ensure_dir(dir).map_err(|e| Exit::failure(format!("cannot create {}: {e}", dir.display())))?;
    lock_dir(dir, cfg.run.lock_timeout)
}

fn login(cfg: &Config, fb: &FitbitSettings, how: &Login) -> Result<(), Exit> {
    let (no_browser, timeout) = (how.no_browser, how.timeout);
    let _lock = locked_data_dir(cfg)?;
    let settings = OAuthClient::from_settings(fb);
    let client = oauth_client(&settings).map_err(src_exit)?;
    let wanted = scopes(cfg);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let listening = if no_browser {
        None
    } else {
        Some(listen(&fb.redirect_uri, "FITBIT_REDIRECT_URI")?)
    };
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(wanted.iter().map(|(s, _)| Scope::new((*s).to_string())))
        .set_pkce_challenge(challenge)
        .url();
    let code = receive(&url, &csrf, &listening, &fb.redirect_uri, "Fitbit", timeout)?;
    let resp = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request(&http::agent())
        .map_err(|e| match refresh_error(e, &fb.token_file) {
            SourceError::Unauthorized(_) => Exit::new(
                NOPERM,
                "Fitbit refused the authorization code (it is single use, valid for 10 minutes \
                 and bound to this login); run `syncbit auth login` again",
            ),
            other => src_exit(other),
        })?;
    let tokens = token_file(&resp, None);
    let owner = (!tokens.user_id.is_empty()).then(|| Owner {
        id: tokens.user_id.clone(),
        also: None,
    });
    let after = check_login(cfg, crate::source::fitbit::ID, owner.as_ref(), how.rebind)?;
    let store = TokenStore {
        path: fb.token_file.clone(),
        tokens: tokens.clone(),
    };
    store.save(&tokens).map_err(src_exit)?;
    finish_login(cfg, after)?;
    eprintln!(
        "Authorized Fitbit user {}; tokens saved to {}",
        if tokens.user_id.is_empty() {
            "(unknown)"
        } else {
            &tokens.user_id
        },
        store.path.display()
    );
    if let Some(granted) = &tokens.scope {
        let granted: Vec<&str> = granted.split_whitespace().collect();
        for (scope, what) in &wanted {
            if !granted.contains(scope) {
                crate::warn!("scope {scope} was not granted: no {what}");
            }
        }
    }
    Ok(())
}

fn status(cfg: &Config, fb: &FitbitSettings, check: bool) -> Result<(), Exit> {
    let store = TokenStore::load(&fb.token_file).map_err(src_exit)?;
    let t = &store.tokens;
    println!("token file: {}", store.path.display());
    println!("provider:   {}", t.provider.as_deref().unwrap_or(PROVIDER));
    println!(
        "user id:    {}",
        if t.user_id.is_empty() {
            "(unknown)"
        } else {
            &t.user_id
        }
    );
    println!(
        "scopes:     {}",
        t.scope.as_deref().unwrap_or("(not recorded)")
    );
    print_expiry(t.expires());
    if check {
        check_account(cfg)?;
    }
    Ok(())
}

fn print_expiry(expires: Option<chrono::DateTime<Utc>>) {
    match expires {
        Some(e) if e > Utc::now() => println!(
            "access token expires {} (in {} min); the refresh token renews it",
            e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            (e - Utc::now()).num_minutes()
        ),
        Some(e) => println!(
            "access token expired {}; the next run refreshes it",
            e.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ),
        None => println!("access token expiry: unknown"),
    }
}

/// One cheap call (the account) with the tokens, under the run lock.
fn check_account(cfg: &Config) -> Result<(), Exit> {
    let _lock = lock_dir(&cfg.run.data_dir, cfg.run.lock_timeout)?;
    let mut source = super::open_source(cfg, Some(0));
    let account = source.account().map_err(src_exit)?;
    println!("check:      ok (profile time zone {})", account.timezone);
    Ok(())
}

fn logout(cfg: &Config, fb: &FitbitSettings) -> Result<(), Exit> {
    let _lock = lock_dir(&cfg.run.data_dir, cfg.run.lock_timeout)?;
    let path = fb.token_file.clone();
    let tokens: Option<TokenFile> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let Some(t) = &tokens else {
        eprintln!("Not logged in: no token file at {}", path.display());
        return remove(&path.with_extension("json.bak"));
    };
    match crate::source::fitbit::tokens::revoke(
        &OAuthClient::from_settings(fb),
        &http::agent(),
        &t.refresh_token,
    ) {
        Ok(()) => crate::info!("tokens revoked at Fitbit"),
        Err(e) => crate::warn!("{e}; removing the local tokens anyway"),
    }
    for p in [path.clone(), path.with_extension("json.bak")] {
        remove(&p)?;
    }
    eprintln!("Logged out: {} removed", path.display());
    Ok(())
}

/// The families and intraday resources a Google scope (after `tokens::SCOPE_PREFIX`) feeds.
pub fn google_scope_use(suffix: &str) -> String {
    use crate::source::google::{MEMBERS, intraday_kind};
    let mut parts: Vec<String> = MEMBERS
        .iter()
        .filter(|(_, kinds)| kinds.iter().any(|k| k.def().2 == suffix))
        .map(|(f, _)| Series::Daily(*f).key().to_string())
        .collect();
    parts.extend(
        Resource::ALL
            .iter()
            .filter(|r| intraday_kind(**r).def().2 == suffix)
            .map(|r| format!("intraday {r}")),
    );
    match suffix {
        "settings.readonly" => parts.push(
            "the time zone (else set SYNCBIT_TIMEZONE) and device info (battery, last sync)".into(),
        ),
        "profile.readonly" => parts.push("the account's first day".into()),
        _ => {}
    }
    parts.join(", ")
}

/// Warn about each of syncbit's scopes missing from `granted`.
fn warn_missing(granted: &[&str]) -> usize {
    let mut missing = 0;
    for (suffix, _) in gt::SCOPES {
        let full = gt::scope(suffix);
        if !granted.contains(&full.as_str()) {
            missing += 1;
            crate::warn!(
                "scope {full} was not granted: no {}; add it on the consent screen's Data Access \
                 page, then run `syncbit auth login` again",
                google_scope_use(suffix)
            );
        }
    }
    missing
}

/// The loopback redirect of a Google login: `GOOGLE_REDIRECT_URI`, or `http://127.0.0.1:<a
/// free port>` (Google's loopback flow for Desktop clients accepts any port). `listen`: keep
/// the listener (without it, the user pastes the address the browser could not open).
fn google_redirect(gs: &GoogleSettings, listen_too: bool) -> Result<(String, Listening), Exit> {
    if let Some(uri) = &gs.redirect_uri {
        let l = if listen_too {
            Some(listen(uri, "GOOGLE_REDIRECT_URI")?)
        } else {
            None
        };
        return Ok((uri.clone(), l));
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| Exit::failure(format!("cannot listen on 127.0.0.1 for the redirect: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| Exit::failure(format!("cannot listen for the redirect: {e}")))?
        .port();
    let uri = format!("http://127.0.0.1:{port}");
    Ok((uri, listen_too.then(|| (listener, "/".to_string()))))
}

fn google_login(cfg: &Config, gs: &GoogleSettings, how: &Login) -> Result<(), Exit> {
    let (no_browser, timeout) = (how.no_browser, how.timeout);
    let _lock = locked_data_dir(cfg)?;
    let (redirect_uri, listening) = google_redirect(gs, !no_browser)?;
    let client = gt::oauth_client(gs).map_err(src_exit)?.set_redirect_uri(
        RedirectUrl::new(redirect_uri.clone()).map_err(|e| {
            Exit::usage(format!(
                "GOOGLE_REDIRECT_URI={redirect_uri:?} is not valid: {e}"
            ))
        })?,
    );
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    // Every scope, whatever COLLECT_* says, so that a family switched on later needs no new
    // login; offline access and a fresh consent, so that Google sends a refresh token.
    let (url, csrf) = client
        .authorize_url(CsrfToken::new_random)
        .add_scopes(gt::SCOPES.iter().map(|(s, _)| Scope::new(gt::scope(s))))
        .add_extra_param("access_type", "offline")
        .add_extra_param("prompt", "consent")
        .set_pkce_challenge(challenge)
        .url();
    let code = receive(&url, &csrf, &listening, &redirect_uri, "Google", timeout)?;
    let resp = client
        .exchange_code(AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request(&gt::oauth_http(&http::agent()))
        .map_err(|e| match gt::token_error(e, &gs.token_file) {
            SourceError::Unauthorized(m) if !m.contains("OAuth client") => Exit::new(
                NOPERM,
                "Google refused the authorization code (it is single use, valid for a few \
                 minutes and bound to this login); run `syncbit auth login` again",
            ),
            other => src_exit(other),
        })?;
    let tokens = gt::token_file(&resp, None);
    if tokens.refresh_token.is_empty() {
        return Err(Exit::new(
            NOPERM,
            "Google sent no refresh token; remove syncbit's access at \
             https://myaccount.google.com/connections and run `syncbit auth login` again",
        ));
    }
    let mut tokens = tokens;
    let owner = google_owner(gs, &tokens);
    if let Some(o) = &owner {
        tokens.set_owner(o);
    }
    let after = check_login(cfg, crate::source::google::ID, owner.as_ref(), how.rebind)?;
    let store = gt::TokenStore {
        path: gs.token_file.clone(),
        tokens: tokens.clone(),
    };
    store.save(&tokens).map_err(src_exit)?;
    finish_login(cfg, after)?;
    eprintln!(
        "Authorized with Google{}; tokens saved to {}",
        owner
            .as_ref()
            .map(|o| format!(" (Google Health user {})", o.id))
            .unwrap_or_default(),
        store.path.display()
    );
    warn_missing(&tokens.granted());
    Ok(())
}

/// The account of freshly issued tokens (`users/me/identity`, one request), kept in the
/// token file so that runs check the binding without a request. `None` (with a warning) when
/// the API does not say: the next run asks again, and refuses another account's tokens then.
fn google_owner(gs: &GoogleSettings, tokens: &gt::TokenFile) -> Option<Owner> {
    // Never the real token file: a refresh there would first read the old account's tokens.
    let scratch = gs.token_file.with_extension("json.login");
    let mut settings = gs.clone();
    settings.token_file = scratch.clone();
    let mut source = crate::source::google::GoogleSource::new(&settings, http::agent());
    source.client.preload(gt::TokenStore {
        path: scratch.clone(),
        tokens: tokens.clone(),
    });
    let owner = crate::source::Source::owner(&mut source);
    let _ = std::fs::remove_file(&scratch);
    match owner {
        Ok(o) => o,
        Err(e) => {
            crate::warn!("{e}; the account of the new tokens is checked at the next run");
            None
        }
    }
}

fn google_status(cfg: &Config, gs: &GoogleSettings, check: bool) -> Result<(), Exit> {
    let store = gt::TokenStore::load(&gs.token_file).map_err(src_exit)?;
    let t = &store.tokens;
    println!("token file: {}", store.path.display());
    println!("provider:   google");
    let granted = t.granted();
    if granted.is_empty() {
        println!("scopes:     (not recorded)");
    } else {
        for (i, s) in granted.iter().enumerate() {
            println!(
                "{}{s}",
                if i == 0 {
                    "scopes:     "
                } else {
                    "            "
                }
            );
        }
        for (suffix, _) in gt::SCOPES {
            let full = gt::scope(suffix);
            if !granted.contains(&full.as_str()) {
                println!("missing:    {full}: no {}", google_scope_use(suffix));
            }
        }
    }
    print_expiry(t.expires());
    if check {
        check_account(cfg)?;
    }
    Ok(())
}

fn google_logout(cfg: &Config, gs: &GoogleSettings) -> Result<(), Exit> {
    let _lock = lock_dir(&cfg.run.data_dir, cfg.run.lock_timeout)?;
    let path = gs.token_file.clone();
    let tokens: Option<gt::TokenFile> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let Some(t) = &tokens else {
        eprintln!("Not logged in: no token file at {}", path.display());
        return Ok(());
    };
    // Revoking the refresh token ends the whole grant, its access tokens included.
    match gt::revoke(gs, &http::agent(), &t.refresh_token) {
        Ok(()) => crate::info!("tokens revoked at Google"),
        Err(e) => crate::warn!("{e}; removing the local tokens anyway"),
    }
    remove(&path)?;
    eprintln!("Logged out: {} removed", path.display());
    Ok(())
}

fn remove(p: &Path) -> Result<(), Exit> {
    match std::fs::remove_file(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Exit::failure(format!("cannot remove {}: {e}", p.display()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_and_codes() {
        let (c, s) =
            parse_redirect("http://localhost:8080/callback?code=abc&state=xyz#_=_\n").unwrap();
        assert_eq!((c.as_str(), s.as_deref()), ("abc", Some("xyz")));
        let (c, s) = parse_redirect("  abc123 ").unwrap();
        assert_eq!((c.as_str(), s), ("abc123", None));
        assert_eq!(
            parse_redirect("http://localhost:8080/callback?error=access_denied")
                .unwrap_err()
                .code,
            NOPERM
        );
    }
}
