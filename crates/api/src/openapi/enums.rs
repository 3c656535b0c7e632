//! Every enumerated string of the contract as an `enum` schema, its values read from the Rust
//! enum or table that the code itself parses and prints them with, so the document cannot name a
//! value the server does not know (or miss one it sends). The domain knows nothing of OpenAPI:
//! the schemas are made here, from its `ALL` lists and `as_str`.

use credvault_domain::credential::fields::TEST_METHODS;
use credvault_domain::credential::{CredentialType, Status};
use credvault_domain::credential_access::Access;
use credvault_domain::identity::{Role, Scope, TokenKind};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

/// A string schema allowing exactly `values`.
pub fn string_enum<'a>(values: impl IntoIterator<Item = &'a str>, description: &str) -> Schema {
    let values: Vec<String> = values.into_iter().map(str::to_owned).collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .description((!description.is_empty()).then(|| description.to_owned()))
        .into()
}

/// A component schema named `$schema`, whose values are the expression `$values` (strings).
#[macro_export]
macro_rules! wire_enum {
    ($(#[doc = $doc:literal])+ $ty:ident = $schema:literal, $values:expr) => {
        $(#[doc = $doc])+
        pub struct $ty;

        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                let doc: &[&str] = &[$($doc),+];
                let text = doc.iter().map(|l| l.trim()).collect::<Vec<_>>().join(" ");
                $crate::openapi::enums::string_enum($values, &text).into()
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($schema)
            }
        }
    };
}

wire_enum!(
    /// What kind of secret a credential holds; it fixes the shape of `data`.
    CredentialTypeSchema = "CredentialType",
    CredentialType::ALL.map(CredentialType::as_str)
);

wire_enum!(
    /// `active`; `expired` (past `expires_at`, or an OAuth refresh was refused); `error` (the
    /// last test or refresh failed); `deleted` (soft-deleted, restorable until purged).
    StatusSchema = "CredentialStatus",
    Status::ALL.map(Status::as_str)
);

wire_enum!(
    /// Your effective access to the credential, highest first: `owner`, `manage`, `view`, `use`.
    /// `none` appears only in the answer to a transfer by which you gave away a credential you
    /// keep no access to.
    EffectiveAccessSchema = "EffectiveAccess",
    Access::ALL.map(Access::as_str).into_iter().rev().chain(["none"])
);

wire_enum!(
    /// What a share grants, lowest first (a share never makes anyone the owner).
    ShareAccessSchema = "ShareAccess",
    Access::ALL
        .into_iter()
        .filter(|a| *a < Access::Owner)
        .map(Access::as_str)
);

wire_enum!(
    /// A workspace role.
    RoleSchema = "Role",
    Role::ALL.map(Role::as_str)
);

wire_enum!(
    /// What an API token may do, on top of its principal's rights.
    ScopeSchema = "Scope",
    Scope::ALL.map(Scope::as_str)
);

wire_enum!(
    /// `personal` acts as its user, narrowed to its scopes; `engine` is a service principal of
    /// the workspace (for a workflow engine).
    TokenKindSchema = "TokenKind",
    TokenKind::ALL.map(TokenKind::as_str)
);

wire_enum!(
    /// The HTTP method of a connection test.
    TestMethodSchema = "TestMethod",
    TEST_METHODS
);

/// Wire values that exist only at the API's edge (no Rust enum below holds them): derived
/// schemas of Rust enums written here.
pub mod edge {
    #![allow(dead_code)] // Schema-only: the values are written as strings where they are made.

    use utoipa::ToSchema;

    /// Who is shared with.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum SharePrincipalType {
        User,
        Team,
        Workspace,
    }

    /// Why a version was made.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum VersionReason {
        Created,
        Updated,
        Rotated,
        Refreshed,
        Restored,
    }

    /// How an audited attempt ended.
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum AuditOutcome {
        Success,
        Denied,
        Failure,
    }

    /// Who acted: a person by session (`user`), a personal API token (`token`), an engine token
    /// (`engine`), the server itself (`system`), or nobody known (`anonymous`, e.g. a failed
    /// sign-in).
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum ActorType {
        User,
        Token,
        Engine,
        System,
        Anonymous,
    }

    /// The kind of access token: always `Bearer`.
    #[derive(ToSchema)]
    pub enum TokenType {
        Bearer,
    }

    /// `ok` (liveness) or `ready` (readiness).
    #[derive(ToSchema)]
    #[schema(rename_all = "snake_case")]
    pub enum HealthStatus {
        Ok,
        Ready,
    }
}
