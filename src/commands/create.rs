//! `ds01-build create`: plan (all validation, no engine call), read the image's labels, then create
//! once: one Engine API request when the options translate exactly ([`crate::create_api`]), else
//! `docker create`.
//!
//! There is no separate "is the name free?" engine call: the engine refuses a taken name
//! atomically (docker 28 exits 1, 20.10 125) and leaves the existing container untouched; that refusal is reported with
//! a clear message and the engine's exit code. A pre-check would cost a second engine round trip
//! (≈ 20–25 ms, more than half a `docker create`) and could still race.

use anyhow::{Context as _, Result};

use super::{Context, Interrupted};
use crate::cli::{CreateArgs, Format};
use crate::create::{self, CreatePlan, Inputs};
use crate::create_api::Untranslated;
use crate::engine::{Captured, Caught, EngineError, EngineKind, SignalScope};
use crate::engine_client::{self, Client, Created};
use crate::identity::{self, Mode};
use crate::labels;
use crate::output::{emit, emit_json};
use crate::passthrough_files::PassthroughFiles;
use crate::policy::{self, Lookups, Policy};
use crate::queries;

pub fn run(ctx: &Context, args: CreateArgs) -> Result<i32> {
    let invoker = ctx.privilege.invoker.clone();
    let context = std::env::var("DS01_CONTEXT").ok();
    let request = args.request();
    let label_files = PassthroughFiles::read(&request.passthrough);
    let policy = Policy::applying(
        ctx.privilege.elevated(),
        ctx.config.as_ref().map(|l| (&l.config, l.path.as_path())),
    );
    let lookups = Lookups {
        home: &|user| {
            nix::unistd::User::from_name(user)
                .ok()
                .flatten()
                .map(|u| std::fs::canonicalize(&u.dir).unwrap_or(u.dir))
        },
        resolve: &crate::caller_file::canonicalize,
        group: &policy::group_from_members,
    };
    let inputs = Inputs {
        invoker: &invoker,
        owner_refusal: owner_refusal(ctx),
        now: time::OffsetDateTime::now_utc(),
        ds01_context: context.as_deref(),
        lookup_user: &identity::lookup_user,
        files: &label_files,
        elevated: ctx.privilege.elevated().then(|| ctx.privilege.describe()),
        policy: policy.as_ref().map(|p| (p, &lookups)),
    };
    let plan = create::plan(&request, &inputs, &ctx.engine)?;
    // Before the image is read: a command line no program can take is bad input (a dry run
    // shows only a command that can run).
    plan.command.check()?;
    if args.dry_run {
        match args.format {
            Format::Json => {
                let mut json = plan.to_json();
                // Not read: a dry run runs nothing (see neutralise_image_labels).
                json["neutralised"] = serde_json::Value::Null;
                json["privilege"] = ctx.privilege.to_json();
                emit_json(&json)?
            }
            Format::Text => emit(dry_run_text(&plan))?,
        }
        return Ok(0);
    }

    // One client for the image read and the create.
    let client = Client::for_engine(&ctx.engine);
    let plan = neutralise_image_labels(ctx, client.as_ref(), plan)?;
    if let Some(client) = &client {
        if let Some(code) = create_via_api(ctx, &args, client, &plan)? {
            return Ok(code);
        }
    }

    let (captured, caught) = plan.command.capture_holding_signals()?;
    if let Some(caught) = caught {
        let remove = |id: &str| match ctx.engine.command(["rm", id]).capture() {
            Ok(rm) if rm.code == 0 => Ok(()),
            Ok(rm) => Err(rm.stderr.trim().to_string()),
            Err(e) => Err(e.to_string()),
        };
        return Err(interrupted(ctx, &plan, captured, caught, &remove).into());
    }
    let result = match captured.code {
        0 => Ok(captured.stdout),
        _ => Err(plan.command.failure(captured)),
    };
    let id = match result {
        Ok(stdout) => stdout.trim().to_string(),
        Err(err) => {
            let conflict = matches!(&err, EngineError::Failed { stderr, .. } if ctx.engine.is_name_conflict(stderr));
            let err = anyhow::Error::new(err);
            return Err(if conflict {
                err.context(format!(
                    "a container named {} already exists and was left untouched: choose another --name",
                    crate::messages::quoted(&plan.name)
                ))
            } else {
                err
            });
        }
    };
    report(&args, &plan, &id, "cli")?;
    Ok(0)
}

/// The created container's ID (text), or the plan with `id` and `via` (`api` or `cli`).
fn report(args: &CreateArgs, plan: &CreatePlan, id: &str, via: &str) -> Result<()> {
    match args.format {
        Format::Json => {
            let mut json = plan.to_json();
            json["id"] = id.into();
            json["via"] = via.into();
            emit_json(&json)
        }
        Format::Text => emit(format!("{id}\n")),
    }
}

/// Create through the Engine API when every passthrough option has an exact translation
/// ([`create_api::body`]; docker only: podman's compatible API does not create what `podman
/// create` does). Signals are held as around the CLI's create. `None`: take the CLI path, for an
/// option without translation or when the daemon refused (nothing was created; the CLI then says
/// why in the engine's own words and exit code).
fn create_via_api(
    ctx: &Context,
    args: &CreateArgs,
    client: &Client,
    plan: &CreatePlan,
) -> Result<Option<i32>> {
    let verbose = ctx.engine.verbose();
    let why_cli = if ctx.engine.kind() != EngineKind::Docker {
        Some(format!(
            "{} (its API creates differently)",
            ctx.engine.program()
        ))
    } else {
        engine_client::with_surroundings(&ctx.engine, engine_client::cli_changes_create)
    };
    let body = match why_cli.map_or_else(|| plan.api_body(), |why| Err(Untranslated(why))) {
        Ok(body) => body,
        Err(Untranslated(why)) => {
            if verbose {
                crate::say!("# creates via the CLI: {why}");
            }
            return Ok(None);
        }
    };
    let scope = SignalScope::catch();
    let created = client.create(&plan.name, body);
    let caught = scope.caught();
    drop(scope);
    match (created, caught) {
        (Created::Id { id, warnings }, None) => {
            for warning in warnings {
                crate::say!("WARNING: {warning}");
            }
            report(args, plan, &id, "api")?;
            Ok(Some(0))
        }
        (Created::Id { id, .. }, Some(caught)) => {
            let captured = Captured {
                code: 0,
                stdout: id,
                stderr: String::new(),
            };
            Err(interrupted(ctx, plan, captured, caught, &|id| client.remove(id)).into())
        }
        (Created::Failed { message, .. }, Some(caught)) => Err(Interrupted {
            code: 128 + caught.first,
            message: format!(
                "interrupted by {} during `{} create`: no container {} was created (the daemon answered: {})",
                caught.name(),
                ctx.engine.program(),
                plan.name,
                message.lines().next().unwrap_or("").trim()
            ),
        }
        .into()),
        (Created::Failed { status, message }, None) => {
            if verbose {
                let status = status.map_or("no answer".to_string(), |s| s.to_string());
                crate::say!("# the API refused ({status}: {message}): asking the CLI");
            }
            Ok(None)
        }
    }
}

/// Who may not use `--owner`, and why: everyone but root itself and, with privileges, the admins
/// the configuration names.
fn owner_refusal(ctx: &Context) -> Option<String> {
    let privilege = &ctx.privilege;
    if privilege.really_root() {
        return None;
    }
    let admins = ctx.config.as_ref().map(|l| &l.config.admins);
    if let Some(admins) = admins.filter(|_| privilege.elevated()) {
        if identity::is_listed(&privilege.invoker, &admins.users, &admins.groups) {
            return None;
        }
    }
    let user = &privilege.invoker.user;
    Some(match &privilege.mode {
        Mode::Sudo => format!("you are {user} (through sudo)"),
        Mode::Setgid { .. } | Mode::Setuid { .. } => {
            format!("you are {user} (through a {} copy)", privilege.describe())
        }
        Mode::Plain | Mode::Root => format!("you are {user}"),
    })
}

/// What a signal during `docker create` did: the engine has exited (the signals were held back,
/// so the daemon answered); a container it created is removed, never started. One line, exit
/// 128 + the first signal.
fn interrupted(
    ctx: &Context,
    plan: &CreatePlan,
    captured: Captured,
    caught: Caught,
    remove: &dyn Fn(&str) -> Result<(), String>,
) -> Interrupted {
    let name = &plan.name;
    let engine = ctx.engine.program();
    let what = if captured.code == 0 {
        let id = captured.stdout.trim().to_string();
        let short = &id[..id.len().min(12)];
        match remove(&id) {
            Ok(()) => format!("{name} ({short}) had been created and was removed"),
            Err(e) => format!(
                "{name} ({short}) was created and removing it failed ({e}): remove it with `{engine} rm {name}`"
            ),
        }
    } else if caught.forwarded || captured.code > 128 {
        format!(
            "the engine was stopped mid-request (exit {}), so the daemon may still create {name}: check with `{engine} ps -a --filter name=^{name}$`",
            captured.code
        )
    } else {
        let reason = captured
            .stderr
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("")
            .trim();
        format!(
            "no container {name} was created (the engine exited {}: {reason})",
            captured.code
        )
    };
    Interrupted {
        code: 128 + caught.first,
        message: format!(
            "interrupted by {} during `{engine} create`: {what}",
            caught.name()
        ),
    }
}

/// Read the image's labels (through the Engine API, [`Client`], else one `image inspect`,
/// signals held like the create's) and keep its
/// `ds01.*` runtime labels from reaching the container ([`CreatePlan::neutralise`]). A signal
/// meanwhile: nothing was created, exit 128 + n.
fn neutralise_image_labels(
    ctx: &Context,
    client: Option<&Client>,
    plan: CreatePlan,
) -> Result<CreatePlan> {
    // The Engine API where the CLI's endpoint is one (no process); else, or for a miss, the CLI.
    let names = [plan.image.clone()];
    if let Some(found) = client.and_then(|c| c.inspect(&names, false, true)) {
        return Ok(plan.neutralise(&found[0].labels, &ctx.engine)?);
    }
    let command = ctx
        .engine
        .command(["image", "inspect", "--", plan.image.as_str()]);
    let (captured, caught) = command.capture_holding_signals()?;
    if let Some(caught) = caught {
        return Err(Interrupted {
            code: 128 + caught.first,
            message: format!(
                "interrupted by {} while reading image {}'s labels: no container {} was created",
                caught.name(),
                crate::messages::quoted(&plan.image),
                plan.name
            ),
        }
        .into());
    }
    if captured.code != 0 {
        return Err(anyhow::Error::new(command.failure(captured)).context(format!(
            "create reads image {}'s labels before creating (its ds01.* runtime labels must not reach the container): pull or build it first",
            crate::messages::quoted(&plan.image)
        )));
    }
    let image = queries::parse_one_image(&captured.stdout)
        .with_context(|| format!("`{}` printed no image", command.display()))?;
    Ok(plan.neutralise(&image.labels, &ctx.engine)?)
}

/// The shell-quoted command on the first line, then one `key=value` line per label.
fn dry_run_text(plan: &CreatePlan) -> String {
    let mut out = plan.command.display();
    out.push('\n');
    for (key, value) in &plan.labels {
        out.push_str(&format!(
            "{}={}\n",
            labels::one_line(key),
            labels::one_line(value)
        ));
    }
    out
}
