//! The shape of a credential's `data` for each type, read from the domain's field table (the one
//! validation uses), so the document says exactly which fields a type has, which are required,
//! secret or defaulted, and what each accepts. `custom` is an object of string values.

use credvault_domain::credential::data::{
    fields_of, Field, Presence, Rule, CUSTOM_KEY_MAX, PARAM_NAME_MAX,
};
use credvault_domain::credential::{CredentialType, MASK};
use utoipa::openapi::schema::{
    AdditionalProperties, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema,
    SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};

/// Which way `data` travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Way {
    /// In a create body: defaulted fields may be left out.
    Input,
    /// In a read (secrets masked) or a resolve (in full): defaults filled in.
    Output,
}

/// The name a type goes by in schema names: `ApiKey`, `BasicAuth`, `OAuth2`, `Custom`.
pub fn title(kind: CredentialType) -> &'static str {
    match kind {
        CredentialType::ApiKey => "ApiKey",
        CredentialType::BasicAuth => "BasicAuth",
        CredentialType::Oauth2 => "OAuth2",
        CredentialType::Custom => "Custom",
    }
}

/// What one field is for; every field of the table has a line (a test holds it so).
pub fn field_doc(name: &str) -> Option<&'static str> {
    Some(match name {
        "key" => "The API key.",
        "placement" => "Where the key goes: a request header or a query parameter.",
        "name" => "The header or query parameter that carries the key.",
        "prefix" => "Text put before the key, e.g. `Bearer `.",
        "username" => "The user name (no `:`).",
        "password" => "The password.",
        "grant_type" => "`authorization_code` (a person authorizes in a browser, see `oauth/authorize`) or `client_credentials`.",
        "client_id" => "The client id at the provider.",
        "client_secret" => "The client secret at the provider.",
        "authorization_url" => "The provider's authorization endpoint; required for `authorization_code`.",
        "token_url" => "The provider's token endpoint.",
        "scopes" => "The scopes asked for, each without spaces.",
        "access_token" => "The current access token (set by the authorization and each refresh; may be sent to import one).",
        "refresh_token" => "The refresh token (set by the authorization; may be sent to import one).",
        "token_expires_at" => "When the access token expires.",
        _ => return None,
    })
}

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// One field's schema: its rule as type and bounds, and a description that says when it is
/// secret and (in input) what it defaults to. The default is said in words only: generators
/// such as openapi-typescript make a property with a `default` required, which a create body's
/// defaulted fields are not.
fn field_schema(f: &Field, way: Way) -> RefOr<Schema> {
    let mut doc = field_doc(f.name).unwrap_or_default().to_owned();
    if f.secret {
        doc.push_str(&format!(" Secret: reads show it masked (`{MASK}` and its last 4 characters when it is 12 or longer); only resolve gives it in full."));
    }
    match (f.presence, way) {
        (Presence::DefaultText(""), Way::Input) => doc.push_str(" Default empty."),
        (Presence::DefaultText(t), Way::Input) => doc.push_str(&format!(" Default `{t}`.")),
        (Presence::DefaultEmptyList, Way::Input) => doc.push_str(" Default none."),
        _ => {}
    }
    let b = match f.rule {
        Rule::Text | Rule::Prefix => string(),
        Rule::Token => string().min_length(Some(1)),
        Rule::OneOf(values) => string().enum_values(Some(values.iter().copied())),
        Rule::ParamName => string()
            .min_length(Some(1))
            .max_length(Some(PARAM_NAME_MAX))
            .pattern(Some(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")),
        Rule::UserName => string().pattern(Some("^[^:]*$")),
        Rule::Url => string().format(Some(SchemaFormat::Custom("uri".into()))),
        Rule::Time => string().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))),
        Rule::Scopes => {
            let scope = string().min_length(Some(1)).pattern(Some(r"^\S+$"));
            let list = ArrayBuilder::new()
                .items(scope)
                .description(Some(doc.trim()));
            return list.into();
        }
    };
    b.description(Some(doc.trim())).into()
}

/// The fields a `way` requires: the required ones, and on the way out the defaulted ones too.
fn is_required(f: &Field, way: Way) -> bool {
    match f.presence {
        Presence::Required => true,
        Presence::Optional => false,
        Presence::DefaultText(_) | Presence::DefaultEmptyList => way == Way::Output,
    }
}

/// `custom` data: string values under names of letters, digits, `_`, `.` and `-`.
fn custom_data() -> Schema {
    let name = format!("^[A-Za-z0-9_.-]{{1,{CUSTOM_KEY_MAX}}}$");
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .description(Some("Any fields of string values (at least one). `secret_fields` says which are secret: reads show those masked, only resolve gives them in full."))
        .additional_properties(Some(string()))
        .property_names(Some(string().pattern(Some(name))))
        .min_properties(Some(1))
        .into()
}

/// The schema of `data` for a type, one way.
pub fn data_schema(kind: CredentialType, way: Way) -> Schema {
    let Some(fields) = fields_of(kind) else {
        return custom_data();
    };
    let mut b = ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for f in fields {
        b = b.property(f.name, field_schema(f, way));
        if is_required(f, way) {
            b = b.required(f.name);
        }
    }
    b.into()
}

/// The component name of a type's `data` one way: `ApiKeyData` out, `ApiKeyDataInput` in
/// (one name where both ways are the same).
pub fn data_name(kind: CredentialType, way: Way) -> String {
    let same = data_schema(kind, Way::Input) == data_schema(kind, Way::Output);
    match way {
        Way::Input if !same => format!("{}DataInput", title(kind)),
        _ => format!("{}Data", title(kind)),
    }
}

/// A reference to a type's `data` schema, one way.
pub fn data_ref(kind: CredentialType, way: Way) -> Ref {
    Ref::from_schema_name(data_name(kind, way))
}

/// Every `data` schema, by name, for the components.
pub fn data_schemas() -> Vec<(String, RefOr<Schema>)> {
    let mut out = Vec::new();
    for kind in CredentialType::ALL {
        for way in [Way::Input, Way::Output] {
            out.push((data_name(kind, way), data_schema(kind, way).into()));
        }
    }
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// The `data` of an update or a rotation: only the fields that change (for the fixed types,
/// fields of the type; `null` removes an optional one).
pub struct CredentialDataPatch;

impl utoipa::PartialSchema for CredentialDataPatch {
    fn schema() -> RefOr<Schema> {
        let value = OneOfBuilder::new()
            .item(string())
            .item(ArrayBuilder::new().items(string()))
            .item(ObjectBuilder::new().schema_type(Type::Null));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("The fields of `data` to change, merged into the stored ones (an absent field keeps its value, `null` removes an optional one): for the fixed types, fields of that type (`scopes` is a list of strings, the rest strings); for `custom`, string values. A change of a secret field makes a new version."))
            .additional_properties(Some(AdditionalProperties::RefOr(
                Schema::OneOf(value.build()).into(),
            )))
            .into()
    }
}

impl utoipa::ToSchema for CredentialDataPatch {}
