"""Contains all the data models used in inputs/outputs"""

from .affected_workflow import AffectedWorkflow
from .api_token import ApiToken
from .audit_actor import AuditActor
from .audit_event import AuditEvent
from .audit_event_details import AuditEventDetails
from .audit_page import AuditPage
from .audit_target import AuditTarget
from .authorize_request import AuthorizeRequest
from .authorize_start import AuthorizeStart
from .callback_result import CallbackResult
from .connected_workflow import ConnectedWorkflow
from .create_credential import CreateCredential
from .create_credential_data import CreateCredentialData
from .create_token import CreateToken
from .create_user import CreateUser
from .created_token import CreatedToken
from .credential import Credential
from .credential_data_type_0 import CredentialDataType0
from .credential_list import CredentialList
from .credential_review import CredentialReview
from .credential_summary import CredentialSummary
from .day_count import DayCount
from .deleted import Deleted
from .export import Export
from .exported_session import ExportedSession
from .exported_token import ExportedToken
from .field_error import FieldError
from .health import Health
from .login_request import LoginRequest
from .member import Member
from .owned_credential import OwnedCredential
from .owner_ref import OwnerRef
from .password_change import PasswordChange
from .problem import Problem
from .put_workflow import PutWorkflow
from .refresh_request import RefreshRequest
from .refresh_result import RefreshResult
from .replace_shares import ReplaceShares
from .resolve_request import ResolveRequest
from .resolved import Resolved
from .resolved_data import ResolvedData
from .rotate_credential import RotateCredential
from .rotate_credential_data import RotateCredentialData
from .session import Session
from .session_list import SessionList
from .share import Share
from .share_input import ShareInput
from .share_list import ShareList
from .share_principal import SharePrincipal
from .signup_request import SignupRequest
from .signup_response import SignupResponse
from .team import Team
from .team_body import TeamBody
from .team_list import TeamList
from .team_ref import TeamRef
from .test_request import TestRequest
from .test_result import TestResult
from .token_list import TokenList
from .token_pair import TokenPair
from .transfer_credential import TransferCredential
from .update_credential import UpdateCredential
from .update_credential_data_type_0 import UpdateCredentialDataType0
from .update_user import UpdateUser
from .usage import Usage
from .usage_report import UsageReport
from .user import User
from .user_list import UserList
from .verify_result import VerifyResult
from .version_info import VersionInfo
from .version_list import VersionList
from .workflow import Workflow
from .workflow_list import WorkflowList
from .workflow_usage import WorkflowUsage
from .workspace_ref import WorkspaceRef

__all__ = (
    "AffectedWorkflow",
    "ApiToken",
    "AuditActor",
    "AuditEvent",
    "AuditEventDetails",
    "AuditPage",
    "AuditTarget",
    "AuthorizeRequest",
    "AuthorizeStart",
    "CallbackResult",
    "ConnectedWorkflow",
    "CreateCredential",
    "CreateCredentialData",
    "CreatedToken",
    "CreateToken",
    "CreateUser",
    "Credential",
    "CredentialDataType0",
    "CredentialList",
    "CredentialReview",
    "CredentialSummary",
    "DayCount",
    "Deleted",
    "Export",
    "ExportedSession",
    "ExportedToken",
    "FieldError",
    "Health",
    "LoginRequest",
    "Member",
    "OwnedCredential",
    "OwnerRef",
    "PasswordChange",
    "Problem",
    "PutWorkflow",
    "RefreshRequest",
    "RefreshResult",
    "ReplaceShares",
    "Resolved",
    "ResolvedData",
    "ResolveRequest",
    "RotateCredential",
    "RotateCredentialData",
    "Session",
    "SessionList",
    "Share",
    "ShareInput",
    "ShareList",
    "SharePrincipal",
    "SignupRequest",
    "SignupResponse",
    "Team",
    "TeamBody",
    "TeamList",
    "TeamRef",
    "TestRequest",
    "TestResult",
    "TokenList",
    "TokenPair",
    "TransferCredential",
    "UpdateCredential",
    "UpdateCredentialDataType0",
    "UpdateUser",
    "Usage",
    "UsageReport",
    "User",
    "UserList",
    "VerifyResult",
    "VersionInfo",
    "VersionList",
    "Workflow",
    "WorkflowList",
    "WorkflowUsage",
    "WorkspaceRef",
)
