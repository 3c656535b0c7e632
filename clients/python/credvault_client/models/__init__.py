"""Contains all the data models used in inputs/outputs"""

from .actor_type import ActorType
from .affected_workflow import AffectedWorkflow
from .api_key_credential import ApiKeyCredential
from .api_key_credential_type import ApiKeyCredentialType
from .api_key_data import ApiKeyData
from .api_key_data_input import ApiKeyDataInput
from .api_key_data_input_placement import ApiKeyDataInputPlacement
from .api_key_data_placement import ApiKeyDataPlacement
from .api_token import ApiToken
from .audit_actor import AuditActor
from .audit_checkpoint import AuditCheckpoint
from .audit_event import AuditEvent
from .audit_event_details import AuditEventDetails
from .audit_outcome import AuditOutcome
from .audit_page import AuditPage
from .audit_public_key import AuditPublicKey
from .audit_target import AuditTarget
from .authorize_request import AuthorizeRequest
from .authorize_start import AuthorizeStart
from .basic_auth_credential import BasicAuthCredential
from .basic_auth_credential_type import BasicAuthCredentialType
from .basic_auth_data import BasicAuthData
from .callback_result import CallbackResult
from .connected_workflow import ConnectedWorkflow
from .create_api_key_credential import CreateApiKeyCredential
from .create_api_key_credential_type import CreateApiKeyCredentialType
from .create_basic_auth_credential import CreateBasicAuthCredential
from .create_basic_auth_credential_type import CreateBasicAuthCredentialType
from .create_credential_fields import CreateCredentialFields
from .create_custom_credential import CreateCustomCredential
from .create_custom_credential_type import CreateCustomCredentialType
from .create_o_auth_2_credential import CreateOAuth2Credential
from .create_o_auth_2_credential_type import CreateOAuth2CredentialType
from .create_token import CreateToken
from .create_user import CreateUser
from .create_webhook import CreateWebhook
from .created_token import CreatedToken
from .created_webhook import CreatedWebhook
from .credential_data_patch import CredentialDataPatch
from .credential_details import CredentialDetails
from .credential_event import CredentialEvent
from .credential_event_data import CredentialEventData
from .credential_list import CredentialList
from .credential_review import CredentialReview
from .credential_sort import CredentialSort
from .credential_status import CredentialStatus
from .credential_summary import CredentialSummary
from .credential_type import CredentialType
from .custom_credential import CustomCredential
from .custom_credential_type import CustomCredentialType
from .custom_data import CustomData
from .day_count import DayCount
from .deleted import Deleted
from .delivery import Delivery
from .delivery_page import DeliveryPage
from .delivery_status import DeliveryStatus
from .effective_access import EffectiveAccess
from .envelope import Envelope
from .envelope_auth_type_0 import EnvelopeAuthType0
from .envelope_wrap_info_type_0 import EnvelopeWrapInfoType0
from .error_code import ErrorCode
from .event_token import EventToken
from .event_user import EventUser
from .export import Export
from .exported_session import ExportedSession
from .exported_token import ExportedToken
from .field_error import FieldError
from .health import Health
from .health_status import HealthStatus
from .kv_data import KvData
from .kv_data_data import KvDataData
from .kv_keys import KvKeys
from .kv_list import KvList
from .kv_metadata import KvMetadata
from .kv_metadata_custom_metadata_type_0 import KvMetadataCustomMetadataType0
from .kv_secret import KvSecret
from .login_code import LoginCode
from .login_request import LoginRequest
from .member import Member
from .o_auth_2_credential import OAuth2Credential
from .o_auth_2_credential_type import OAuth2CredentialType
from .o_auth_2_data import OAuth2Data
from .o_auth_2_data_grant_type import OAuth2DataGrantType
from .o_auth_2_data_input import OAuth2DataInput
from .o_auth_2_data_input_grant_type import OAuth2DataInputGrantType
from .owned_credential import OwnedCredential
from .owner_ref import OwnerRef
from .password_change import PasswordChange
from .problem import Problem
from .purged_credential import PurgedCredential
from .put_sso import PutSso
from .put_sso_role_map_type_0 import PutSsoRoleMapType0
from .put_workflow import PutWorkflow
from .refresh_request import RefreshRequest
from .refresh_result import RefreshResult
from .replace_shares import ReplaceShares
from .resolve_request import ResolveRequest
from .resolved_api_key import ResolvedApiKey
from .resolved_api_key_type import ResolvedApiKeyType
from .resolved_basic_auth import ResolvedBasicAuth
from .resolved_basic_auth_type import ResolvedBasicAuthType
from .resolved_custom import ResolvedCustom
from .resolved_custom_type import ResolvedCustomType
from .resolved_fields import ResolvedFields
from .resolved_o_auth_2 import ResolvedOAuth2
from .resolved_o_auth_2_type import ResolvedOAuth2Type
from .role import Role
from .rotate_credential import RotateCredential
from .scope import Scope
from .session import Session
from .session_list import SessionList
from .share import Share
from .share_access import ShareAccess
from .share_input import ShareInput
from .share_list import ShareList
from .share_principal import SharePrincipal
from .share_principal_type import SharePrincipalType
from .signup_request import SignupRequest
from .signup_response import SignupResponse
from .sso_config import SsoConfig
from .sso_config_role_map import SsoConfigRoleMap
from .sso_role import SsoRole
from .sso_start import SsoStart
from .status_change_reason import StatusChangeReason
from .team import Team
from .team_body import TeamBody
from .team_list import TeamList
from .team_ref import TeamRef
from .test_method import TestMethod
from .test_request import TestRequest
from .test_result import TestResult
from .token_event import TokenEvent
from .token_event_data import TokenEventData
from .token_info import TokenInfo
from .token_kind import TokenKind
from .token_list import TokenList
from .token_lookup import TokenLookup
from .token_pair import TokenPair
from .token_type import TokenType
from .transfer_credential import TransferCredential
from .update_credential import UpdateCredential
from .update_user import UpdateUser
from .update_webhook import UpdateWebhook
from .usage import Usage
from .usage_report import UsageReport
from .user import User
from .user_event import UserEvent
from .user_event_data import UserEventData
from .user_list import UserList
from .vault_errors import VaultErrors
from .vault_token_type import VaultTokenType
from .verify_result import VerifyResult
from .version_info import VersionInfo
from .version_list import VersionList
from .version_reason import VersionReason
from .webhook import Webhook
from .webhook_event_selector import WebhookEventSelector
from .webhook_event_type import WebhookEventType
from .webhook_list import WebhookList
from .webhook_secret import WebhookSecret
from .workflow import Workflow
from .workflow_list import WorkflowList
from .workflow_usage import WorkflowUsage
from .workspace_ref import WorkspaceRef

__all__ = (
    "ActorType",
    "AffectedWorkflow",
    "ApiKeyCredential",
    "ApiKeyCredentialType",
    "ApiKeyData",
    "ApiKeyDataInput",
    "ApiKeyDataInputPlacement",
    "ApiKeyDataPlacement",
    "ApiToken",
    "AuditActor",
    "AuditCheckpoint",
    "AuditEvent",
    "AuditEventDetails",
    "AuditOutcome",
    "AuditPage",
    "AuditPublicKey",
    "AuditTarget",
    "AuthorizeRequest",
    "AuthorizeStart",
    "BasicAuthCredential",
    "BasicAuthCredentialType",
    "BasicAuthData",
    "CallbackResult",
    "ConnectedWorkflow",
    "CreateApiKeyCredential",
    "CreateApiKeyCredentialType",
    "CreateBasicAuthCredential",
    "CreateBasicAuthCredentialType",
    "CreateCredentialFields",
    "CreateCustomCredential",
    "CreateCustomCredentialType",
    "CreatedToken",
    "CreatedWebhook",
    "CreateOAuth2Credential",
    "CreateOAuth2CredentialType",
    "CreateToken",
    "CreateUser",
    "CreateWebhook",
    "CredentialDataPatch",
    "CredentialDetails",
    "CredentialEvent",
    "CredentialEventData",
    "CredentialList",
    "CredentialReview",
    "CredentialSort",
    "CredentialStatus",
    "CredentialSummary",
    "CredentialType",
    "CustomCredential",
    "CustomCredentialType",
    "CustomData",
    "DayCount",
    "Deleted",
    "Delivery",
    "DeliveryPage",
    "DeliveryStatus",
    "EffectiveAccess",
    "Envelope",
    "EnvelopeAuthType0",
    "EnvelopeWrapInfoType0",
    "ErrorCode",
    "EventToken",
    "EventUser",
    "Export",
    "ExportedSession",
    "ExportedToken",
    "FieldError",
    "Health",
    "HealthStatus",
    "KvData",
    "KvDataData",
    "KvKeys",
    "KvList",
    "KvMetadata",
    "KvMetadataCustomMetadataType0",
    "KvSecret",
    "LoginCode",
    "LoginRequest",
    "Member",
    "OAuth2Credential",
    "OAuth2CredentialType",
    "OAuth2Data",
    "OAuth2DataGrantType",
    "OAuth2DataInput",
    "OAuth2DataInputGrantType",
    "OwnedCredential",
    "OwnerRef",
    "PasswordChange",
    "Problem",
    "PurgedCredential",
    "PutSso",
    "PutSsoRoleMapType0",
    "PutWorkflow",
    "RefreshRequest",
    "RefreshResult",
    "ReplaceShares",
    "ResolvedApiKey",
    "ResolvedApiKeyType",
    "ResolvedBasicAuth",
    "ResolvedBasicAuthType",
    "ResolvedCustom",
    "ResolvedCustomType",
    "ResolvedFields",
    "ResolvedOAuth2",
    "ResolvedOAuth2Type",
    "ResolveRequest",
    "Role",
    "RotateCredential",
    "Scope",
    "Session",
    "SessionList",
    "Share",
    "ShareAccess",
    "ShareInput",
    "ShareList",
    "SharePrincipal",
    "SharePrincipalType",
    "SignupRequest",
    "SignupResponse",
    "SsoConfig",
    "SsoConfigRoleMap",
    "SsoRole",
    "SsoStart",
    "StatusChangeReason",
    "Team",
    "TeamBody",
    "TeamList",
    "TeamRef",
    "TestMethod",
    "TestRequest",
    "TestResult",
    "TokenEvent",
    "TokenEventData",
    "TokenInfo",
    "TokenKind",
    "TokenList",
    "TokenLookup",
    "TokenPair",
    "TokenType",
    "TransferCredential",
    "UpdateCredential",
    "UpdateUser",
    "UpdateWebhook",
    "Usage",
    "UsageReport",
    "User",
    "UserEvent",
    "UserEventData",
    "UserList",
    "VaultErrors",
    "VaultTokenType",
    "VerifyResult",
    "VersionInfo",
    "VersionList",
    "VersionReason",
    "Webhook",
    "WebhookEventSelector",
    "WebhookEventType",
    "WebhookList",
    "WebhookSecret",
    "Workflow",
    "WorkflowList",
    "WorkflowUsage",
    "WorkspaceRef",
)
