//! `syncbit auth login|status|logout`.

use crate::cli::{AuthCommand, Global};
use crate::error::Exit;

/// Run an `auth` subcommand.
pub fn run(_g: &Global, _c: &AuthCommand) -> Result<(), Exit> {
    Err(Exit::failure("not implemented yet"))
}
