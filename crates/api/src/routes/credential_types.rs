//! Credential bodies as one schema per type, joined in a `oneOf` with `type` as the discriminator
//! (create, read, resolve), so generated clients get a union of typed shapes with `data` typed by
//! `type`, not a free-form object. Each member is `allOf` the fields every type shares and an
//! object holding `type` (that one value) and `data` (that type's schema).

use credvault_domain::credential::CredentialType;
use utoipa::openapi::schema::{
    AllOfBuilder, Discriminator, ObjectBuilder, OneOfBuilder, Schema, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::ToSchema;

use super::credential_dto::{CreateCredential, Credential, CredentialDetails, CredentialSummary};
use crate::openapi::credential_data::{data_ref, data_schemas, title, Way};
use crate::openapi::enums::string_enum;

type Schemas = Vec<(String, RefOr<Schema>)>;

/// How one family of per-type schemas is made.
pub struct Family {
    /// Of the union.
    pub description: &'static str,
    /// The member's name, from the type's title (`ApiKey`).
    pub member: fn(&str) -> String,
    /// Registers the schemas every member shares and gives references to them.
    pub shared: fn(&mut Schemas) -> Vec<Ref>,
    /// The member's own part: `type` and `data` (and what else only that type has).
    pub own: fn(CredentialType) -> ObjectBuilder,
}

/// Registers `T` with what it references, as a derived `ToSchema::schemas` does, and refers to it.
pub fn register<T: ToSchema>(out: &mut Schemas) -> Ref {
    out.push((T::name().into_owned(), T::schema()));
    T::schemas(out);
    Ref::from_schema_name(T::name())
}

/// An object whose `type` is `kind` and whose `data` is `kind`'s, one way.
pub fn typed(kind: CredentialType, way: Way, data_doc: &str) -> ObjectBuilder {
    let mut data = data_ref(kind, way);
    data.description = data_doc.to_owned();
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("type", string_enum([kind.as_str()], ""))
        .required("type")
        .property("data", data)
}

fn member_name(f: &Family, kind: CredentialType) -> String {
    (f.member)(title(kind))
}

/// The union: a `oneOf` of the members, discriminated by `type`.
pub fn one_of(f: &Family) -> RefOr<Schema> {
    let names: Vec<(CredentialType, String)> = CredentialType::ALL
        .into_iter()
        .map(|k| (k, member_name(f, k)))
        .collect();
    let mapping = names
        .iter()
        .map(|(k, n)| (k.as_str(), Ref::from_schema_name(n).ref_location));
    let mut union = OneOfBuilder::new()
        .description(Some(f.description))
        .discriminator(Some(Discriminator::with_mapping("type", mapping)));
    for (_, name) in &names {
        union = union.item(Ref::from_schema_name(name));
    }
    union.into()
}

/// The members, what they share and every `data` schema, for the components.
pub fn members(f: &Family, out: &mut Schemas) {
    let shared = (f.shared)(out);
    for kind in CredentialType::ALL {
        let mut member = AllOfBuilder::new();
        for r in &shared {
            member = member.item(r.clone());
        }
        let member = member.item((f.own)(kind));
        out.push((member_name(f, kind), member.into()));
    }
    out.extend(data_schemas());
}

/// `PartialSchema` and `ToSchema` for `$ty`: the union named `$name` of the family `$family`.
#[macro_export]
macro_rules! one_schema_per_credential_type {
    ($ty:ty = $name:literal, $family:expr) => {
        impl utoipa::PartialSchema for $ty {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                $crate::routes::credential_types::one_of(&$family)
            }
        }

        impl utoipa::ToSchema for $ty {
            fn name() -> std::borrow::Cow<'static, str> {
                std::borrow::Cow::Borrowed($name)
            }

            fn schemas(
                out: &mut Vec<(
                    String,
                    utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
                )>,
            ) {
                $crate::routes::credential_types::members(&$family, out)
            }
        }
    };
}

/// A credential as read: the summary for `use`; from `view` up the details and `data`, secrets
/// masked.
const READ: Family = Family {
    description: "A credential, by its `type`. Callers with `use` access get the summary fields only; from `view` up, the details and `data` too, with every secret field masked (`••••` and the last 4 characters when 12 or longer).",
    member: |t| format!("{t}Credential"),
    shared: |out| vec![register::<CredentialSummary>(out), register::<CredentialDetails>(out)],
    own: |kind| typed(kind, Way::Output, "The credential's fields, secrets masked (from `view` access up)."),
};

one_schema_per_credential_type!(Credential = "Credential", READ);

/// The body of `POST /v1/credentials`, by `type`.
pub struct NewCredentialBody;

const CREATE: Family = Family {
    description: "A new credential, by its `type`, which fixes the fields of `data`.",
    member: |t| format!("Create{t}Credential"),
    shared: |out| vec![register::<CreateCredential>(out)],
    own: |kind| {
        let own = typed(
            kind,
            Way::Input,
            "The type's fields; secret ones are sealed.",
        )
        .required("data");
        if kind != CredentialType::Custom {
            return own;
        }
        let names = ObjectBuilder::new().schema_type(Type::String);
        let list = utoipa::openapi::schema::ArrayBuilder::new()
            .items(names)
            .description(Some(
                "Which keys of `data` are secret; without it, all are.",
            ));
        own.property("secret_fields", list)
    },
};

one_schema_per_credential_type!(NewCredentialBody = "CreateCredential", CREATE);
