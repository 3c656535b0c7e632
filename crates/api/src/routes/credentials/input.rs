//! Request bodies into the service's inputs: every field checked, all problems reported at once.

use chrono::{DateTime, SubsecRound, Utc};
use credvault_domain::credential::{self as rules, CredentialType, TestInput, TestSpec};
use credvault_service::credentials::change::Changes;
use credvault_service::credentials::create::NewCredential;
use serde_json::Value;

use crate::error::ApiError;
use crate::routes::credential_dto::{
    CreateCredential, RotateCredential, TestRequest, UpdateCredential,
};
use crate::routes::fields::Fields;

/// A create body, every field checked; all problems at once.
pub fn new_credential(input: &CreateCredential) -> Result<NewCredential, ApiError> {
    // Microseconds, as PostgreSQL keeps them: the answer shows what a later read will.
    let now = Utc::now().trunc_subsecs(6);
    let mut f = Fields::default();
    let name = f.required("name", input.name.as_deref(), rules::parse_name);
    let service = f.required("service", input.service.as_deref(), rules::parse_service);
    let kind = f.required("type", input.kind.as_deref(), |s| {
        s.parse::<CredentialType>()
    });
    let description = f.optional(
        "description",
        input.description.as_deref(),
        rules::parse_description,
    );
    let environment = f.optional(
        "environment",
        input.environment.as_deref(),
        rules::parse_environment,
    );
    let tags = match &input.tags {
        None => Some(Vec::new()),
        Some(t) => f
            .optional("tags", Some(t), |t: &Vec<String>| rules::parse_tags(t))
            .flatten(),
    };
    let expires_at = match input.expires_at {
        None => Some(None),
        Some(at) => f.optional("expires_at", Some(&at), |at| {
            rules::parse_expires_at(*at, now)
        }),
    };
    let period = match input.rotation_period_days {
        None => Some(None),
        Some(d) => f.optional("rotation_period_days", Some(&d), |d| {
            rules::parse_rotation_period_days(*d)
        }),
    };
    let test = match &input.test {
        None => Some(None),
        Some(t) => f.optional("test", Some(t), test_spec),
    };
    let data = match (kind, &input.data) {
        (_, None) => {
            f.push("data", "is required");
            None
        }
        (Some(k), Some(d)) => match rules::validate_new(k, d, input.secret_fields.as_deref()) {
            Ok(v) => Some(v),
            Err(errs) => {
                for e in errs {
                    f.push(&e.field, e.message);
                }
                None
            }
        },
        (None, Some(_)) => None,
    };
    let (
        Some(name),
        Some(service),
        Some(kind),
        Some(description),
        Some(environment),
        Some(tags),
        Some(expires_at),
        Some(period),
        Some(test),
        Some(data),
    ) = (
        name,
        service,
        kind,
        description,
        environment,
        tags,
        expires_at,
        period,
        test,
        data,
    )
    else {
        return Err(f.into_error());
    };
    Ok(NewCredential {
        name,
        service,
        kind,
        description,
        environment,
        tags,
        expires_at,
        rotation_period_days: period,
        test,
        data,
        now,
    })
}

/// A rotate body: the new secret values.
pub fn rotation(raw: &Value) -> Result<Value, ApiError> {
    let input: RotateCredential = crate::routes::parse_body(raw)?;
    input
        .data
        .ok_or_else(|| ApiError::field("data", "is required: the new secret values"))
}

/// An update body, every field checked; all problems at once.
pub fn changes(input: UpdateCredential) -> Result<Changes, ApiError> {
    if input.kind.is_some() {
        return Err(ApiError::field(
            "type",
            "cannot be changed: create a new credential instead",
        ));
    }
    let now = Utc::now();
    let mut f = Fields::default();
    let name = f.optional("name", input.name.as_deref(), rules::parse_name);
    let service = f.optional("service", input.service.as_deref(), rules::parse_service);
    let tags = match &input.tags {
        None => Some(None),
        Some(t) => f.optional("tags", Some(t), |t: &Vec<String>| rules::parse_tags(t)),
    };
    let description = nullable(
        &mut f,
        "description",
        input.description.as_ref(),
        |s: &String| rules::parse_description(s).map_err(|p| p.message),
    );
    let environment = nullable(
        &mut f,
        "environment",
        input.environment.as_ref(),
        |s: &String| rules::parse_environment(s).map_err(|p| p.message),
    );
    let expires_at = nullable(
        &mut f,
        "expires_at",
        input.expires_at.as_ref(),
        |at: &DateTime<Utc>| rules::parse_expires_at(*at, now).map_err(|p| p.message),
    );
    let period = nullable(
        &mut f,
        "rotation_period_days",
        input.rotation_period_days.as_ref(),
        |d: &i64| rules::parse_rotation_period_days(*d).map_err(|p| p.message),
    );
    let test = nullable(&mut f, "test", input.test.as_ref(), test_spec);
    let (
        Some(name),
        Some(service),
        Some(tags),
        Some(description),
        Some(environment),
        Some(expires_at),
        Some(period),
        Some(test),
    ) = (
        name,
        service,
        tags,
        description,
        environment,
        expires_at,
        period,
        test,
    )
    else {
        return Err(f.into_error());
    };
    Ok(Changes {
        name,
        service,
        tags,
        description,
        environment,
        expires_at,
        rotation_period_days: period,
        test,
        data: input.data,
        secret_fields: input.secret_fields,
    })
}

fn test_spec(t: &TestRequest) -> Result<Value, String> {
    let input = TestInput {
        url: t.url.clone(),
        method: t.method.clone(),
        expected_status: t.expected_status.clone(),
    };
    let spec: TestSpec = TestSpec::parse(&input).map_err(|p| p.message)?;
    serde_json::to_value(spec).map_err(|e| e.to_string())
}

/// A PATCH field: absent → keep (`Some(None)` is never returned for it), null → clear, value → set.
fn nullable<T, U>(
    f: &mut Fields,
    name: &str,
    v: Option<&Option<T>>,
    parse: impl FnOnce(&T) -> Result<U, String>,
) -> Option<Option<Option<U>>> {
    match v {
        None => Some(None),
        Some(None) => Some(Some(None)),
        Some(Some(x)) => match parse(x) {
            Ok(u) => Some(Some(Some(u))),
            Err(m) => {
                f.push(name, m);
                None
            }
        },
    }
}
