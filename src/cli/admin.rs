//! `darkroom admin …`: accounts and tokens, against the same storage as a
//! running server (SQLite in WAL mode lets both write).

use anyhow::Context;
use darkroom_storage::catalog::Scope;

use super::{CreateTokenArgs, CreateUserArgs};
use crate::settings::Settings;

pub async fn create_user(settings: Settings, args: &CreateUserArgs) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    let user = catalog.create_user(&args.name, args.admin).await?;
    println!("{}", user.id);
    eprintln!(
        "created {} {:?}; mint a token with: darkroom admin create-token {}",
        if args.admin { "administrator" } else { "user" },
        user.name,
        user.name
    );
    catalog.close().await;
    Ok(())
}

pub async fn create_token(settings: Settings, args: &CreateTokenArgs) -> anyhow::Result<()> {
    let catalog = super::serve::open_catalog(&settings).await?;
    let user = catalog
        .find_user_by_name(&args.name)
        .await?
        .with_context(|| {
            format!(
                "no user named {:?} (create it with: darkroom admin create-user {})",
                args.name, args.name
            )
        })?;
    let scopes = if args.scopes.is_empty() {
        let mut scopes = vec![Scope::Read, Scope::Upload, Scope::Edit];
        if user.is_admin {
            scopes.push(Scope::Admin);
        }
        scopes
    } else {
        args.scopes
            .iter()
            .map(|s| s.trim().parse::<Scope>().map_err(anyhow::Error::msg))
            .collect::<anyhow::Result<_>>()?
    };
    if scopes.contains(&Scope::Admin) && !user.is_admin {
        anyhow::bail!(
            "{:?} is not an administrator; an admin-scoped token would grant nothing",
            user.name
        );
    }
    let token = catalog.issue_token(&user.id, &args.label, &scopes).await?;
    println!("{}", token.secret);
    catalog.close().await;
    Ok(())
}
