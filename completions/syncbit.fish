# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_syncbit_global_optspecs
    string join \n profile= data-dir= v/verbose q/quiet dry-run victoria-endpoint= user-id= timezone= api-base-url= source= include-today= intraday-detail-level= intraday-heart-rate-detail= intraday-resources= lock-timeout= h/help V/version
end

function __fish_syncbit_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_syncbit_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_syncbit_using_subcommand
    set -l cmd (__fish_syncbit_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c syncbit -n "__fish_syncbit_needs_command" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_needs_command" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_needs_command" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_needs_command" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_needs_command" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_needs_command" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_needs_command" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_needs_command" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_needs_command" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_needs_command" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_needs_command" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_needs_command" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_needs_command" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_needs_command" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_needs_command" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_needs_command" -s V -l version -d 'Print version'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "sync" -d 'Daily summaries of the recent days that are complete and not written yet'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "sync-intraday" -d 'Intraday series of the recent days that are not complete yet'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "backfill" -d 'Daily summaries (and with --intraday, intraday series) of past days; resumable'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "state" -d 'Show or reset what syncbit has recorded as written'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "import" -d 'Import a person\'s whole history from their account export (Google Takeout), offline'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "auth" -d 'Authorize syncbit with the chosen source, show or remove the tokens'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "profile" -d 'Add, list or remove profiles: one env file and state folder per person'
complete -c syncbit -n "__fish_syncbit_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand sync-intraday" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l days -d 'The N days before today' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l from -d 'First day, YYYY-MM-DD' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l to -d 'Last day, YYYY-MM-DD [default: yesterday]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l reserve -d 'Stop when the hour\'s remaining request budget falls to N, leaving it to the timers [default: 10, or a tenth of a smaller hourly limit]. Fitbit Web API only: the Google Health API\'s quota is per minute, and syncbit paces itself under it' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l intraday -d 'Also fetch intraday series (also on when ENABLE_INTRADAY_BACKFILL=true)'
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l plan -d 'Make no request: print how many requests the backfill needs per family and resource, how many are done, and how long the rest takes at the hourly budget'
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand backfill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -s h -l help -d 'Print help'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -f -a "show" -d 'Print what has been written, per family and resource'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -f -a "reset" -d 'Forget progress so the next runs fetch again (data in VictoriaMetrics stays)'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and not __fish_seen_subcommand_from show reset help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l json -d 'The raw state file as JSON'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from show" -s h -l help -d 'Print help'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l daily -d 'Only daily progress'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l intraday -d 'Only intraday progress'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from reset" -s h -l help -d 'Print help'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "show" -d 'Print what has been written, per family and resource'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "reset" -d 'Forget progress so the next runs fetch again (data in VictoriaMetrics stays)'
complete -c syncbit -n "__fish_syncbit_using_subcommand state; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l families -d 'Comma list of heart_rate, steps, distance, calories, active_minutes, resting_heart_rate, heart_rate_zones, sleep, spo2, breathing_rate, hrv, temperature, cardio_fitness [default: all]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l from -d 'First local day to import, YYYY-MM-DD' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l to -d 'Last local day to import, YYYY-MM-DD' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l plan -d 'Write nothing: print per family the files, encoding, date span and estimated samples'
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand import" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -s h -l help -d 'Print help'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "login" -d 'Authorize with the source (OAuth 2.0 authorization code + PKCE) and save the tokens'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "status" -d 'Who is authorized, which scopes, when the access token expires'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "logout" -d 'Revoke the tokens at Fitbit (when reachable) and delete the token file'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and not __fish_seen_subcommand_from login status logout help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l timeout -d 'Seconds to wait for the authorization' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l no-browser -d 'Do not listen for the redirect or open a browser; read the redirected URL from stdin'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l rebind -d 'Accept tokens of another account than the one this data directory belongs to: forgets the binding and all progress (data in VictoriaMetrics stays)'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from login" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l check -d 'Make one cheap API call (the profile) to prove the tokens work'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from logout" -s h -l help -d 'Print help'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "login" -d 'Authorize with the source (OAuth 2.0 authorization code + PKCE) and save the tokens'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "status" -d 'Who is authorized, which scopes, when the access token expires'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "logout" -d 'Revoke the tokens at Fitbit (when reachable) and delete the token file'
complete -c syncbit -n "__fish_syncbit_using_subcommand auth; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -f -a "add" -d 'Create a profile: its env file (mode 0600) and state folder (mode 0700)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -f -a "list" -d 'Every profile (the user\'s, and the system\'s when readable), with account, label, endpoint, last success and newest complete day'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -f -a "remove" -d 'Remove a profile\'s env file; its state folder stays unless --purge'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and not __fish_seen_subcommand_from add list remove help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l endpoint -d 'VictoriaMetrics import URL or base URL, written as VICTORIA_ENDPOINT' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l user-label -d 'Value of the user label, written as FITBIT_USER_ID [default: NAME]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l allow-shared-user -d 'Share the user label with profiles that already use it on the same endpoint (also written into theirs, as SYNCBIT_ALLOW_SHARED_USER=true)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l system -d 'A profile of the system units: /etc/syncbit/NAME.env, state in /var/lib/syncbit/NAME'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from add" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l profile -d 'Run as profile NAME: load its env file (variables already set in the environment win) and use its state folder as DATA_DIR (see `syncbit profile`)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l data-dir -d 'Folder of the token file, sync_state.json and spool/ [default: $STATE_DIRECTORY, else ~/.local/state/syncbit]' -r -f -a "(__fish_complete_directories)"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l victoria-endpoint -d 'VictoriaMetrics import URL, or its base URL (/api/v1/import/prometheus is appended) [env: VICTORIA_ENDPOINT, or a credential file victoria_endpoint]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l user-id -d 'Value of the `user` label on every series [default: default]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l timezone -d 'IANA time zone of the user\'s days, overriding the account\'s (e.g. Europe/Berlin)' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l api-base-url -d 'Fitbit Web API base URL; the token endpoint is <URL>/oauth2/token' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l source -d 'Where data comes from: google-health or fitbit-web-api [default: fitbit-web-api when only FITBIT_CLIENT_ID is set, else google-health]' -r -f -a "google-health\t''
fitbit-web-api\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l include-today -d 'Also write today\'s intraday data up to the tracker\'s last sync: true or false [default: true]' -r -f -a "true\t''
false\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l intraday-detail-level -d 'Intraday interval of steps, calories, distance, elevation, floors: 1min, 5min, 15min [default: 5min]' -r -f -a "1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l intraday-heart-rate-detail -d 'Intraday heart-rate detail: 1sec, 1min, 5min, 15min [default: 1min]' -r -f -a "1sec\t''
1min\t''
5min\t''
15min\t''"
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l intraday-resources -d 'Comma list of steps,calories,distance,elevation,floors,heart_rate [default: steps,calories,distance,heart_rate]' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l lock-timeout -d 'Seconds to wait for another syncbit run on the same DATA_DIR to finish' -r -f
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l purge -d 'Also revoke the tokens (syncbit auth logout) and delete the state folder'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l system -d 'The system profile (/etc/syncbit/NAME.env), also when the user has one of that name'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -s v -l verbose -d 'More output (-v: debug)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -s q -l quiet -d 'Only warnings and errors'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -l dry-run -d 'Fetch and format, print the Prometheus text to stdout, push nothing, leave state untouched'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from remove" -s h -l help -d 'Print help'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "add" -d 'Create a profile: its env file (mode 0600) and state folder (mode 0700)'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "list" -d 'Every profile (the user\'s, and the system\'s when readable), with account, label, endpoint, last success and newest complete day'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "remove" -d 'Remove a profile\'s env file; its state folder stays unless --purge'
complete -c syncbit -n "__fish_syncbit_using_subcommand profile; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "sync" -d 'Daily summaries of the recent days that are complete and not written yet'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "sync-intraday" -d 'Intraday series of the recent days that are not complete yet'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "backfill" -d 'Daily summaries (and with --intraday, intraday series) of past days; resumable'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "state" -d 'Show or reset what syncbit has recorded as written'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "import" -d 'Import a person\'s whole history from their account export (Google Takeout), offline'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "auth" -d 'Authorize syncbit with the chosen source, show or remove the tokens'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "profile" -d 'Add, list or remove profiles: one env file and state folder per person'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and not __fish_seen_subcommand_from sync sync-intraday backfill state import auth profile help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "show" -d 'Print what has been written, per family and resource'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from state" -f -a "reset" -d 'Forget progress so the next runs fetch again (data in VictoriaMetrics stays)'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "login" -d 'Authorize with the source (OAuth 2.0 authorization code + PKCE) and save the tokens'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "status" -d 'Who is authorized, which scopes, when the access token expires'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from auth" -f -a "logout" -d 'Revoke the tokens at Fitbit (when reachable) and delete the token file'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "add" -d 'Create a profile: its env file (mode 0600) and state folder (mode 0700)'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "list" -d 'Every profile (the user\'s, and the system\'s when readable), with account, label, endpoint, last success and newest complete day'
complete -c syncbit -n "__fish_syncbit_using_subcommand help; and __fish_seen_subcommand_from profile" -f -a "remove" -d 'Remove a profile\'s env file; its state folder stays unless --purge'
