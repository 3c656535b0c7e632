from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, TypeVar, cast

from attrs import define as _attrs_define

from ..models.o_auth_2_data_grant_type import OAuth2DataGrantType, check_o_auth_2_data_grant_type
from ..types import UNSET, Unset

T = TypeVar("T", bound="OAuth2Data")


@_attrs_define
class OAuth2Data:
    """
    Attributes:
        client_id (str): The client id at the provider.
        client_secret (str): The client secret at the provider. Secret: reads show it masked (`••••` and its last 4
            characters when it is 12 or longer); only resolve gives it in full.
        grant_type (OAuth2DataGrantType): `authorization_code` (a person authorizes in a browser, see `oauth/authorize`)
            or `client_credentials`.
        scopes (list[str]): The scopes asked for, each without spaces.
        token_url (str): The provider's token endpoint.
        access_token (str | Unset): The current access token (set by the authorization and each refresh; may be sent to
            import one). Secret: reads show it masked (`••••` and its last 4 characters when it is 12 or longer); only
            resolve gives it in full.
        authorization_url (str | Unset): The provider's authorization endpoint; required for `authorization_code`.
        refresh_token (str | Unset): The refresh token (set by the authorization; may be sent to import one). Secret:
            reads show it masked (`••••` and its last 4 characters when it is 12 or longer); only resolve gives it in full.
        token_expires_at (datetime.datetime | Unset): When the access token expires.
    """

    client_id: str
    client_secret: str
    grant_type: OAuth2DataGrantType
    scopes: list[str]
    token_url: str
    access_token: str | Unset = UNSET
    authorization_url: str | Unset = UNSET
    refresh_token: str | Unset = UNSET
    token_expires_at: datetime.datetime | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        client_id = self.client_id

        client_secret = self.client_secret

        grant_type: str = self.grant_type

        scopes = self.scopes

        token_url = self.token_url

        access_token = self.access_token

        authorization_url = self.authorization_url

        refresh_token = self.refresh_token

        token_expires_at: str | Unset = UNSET
        if not isinstance(self.token_expires_at, Unset):
            token_expires_at = self.token_expires_at.isoformat()

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "client_id": client_id,
                "client_secret": client_secret,
                "grant_type": grant_type,
                "scopes": scopes,
                "token_url": token_url,
            }
        )
        if access_token is not UNSET:
            field_dict["access_token"] = access_token
        if authorization_url is not UNSET:
            field_dict["authorization_url"] = authorization_url
        if refresh_token is not UNSET:
            field_dict["refresh_token"] = refresh_token
        if token_expires_at is not UNSET:
            field_dict["token_expires_at"] = token_expires_at

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        client_id = d.pop("client_id")

        client_secret = d.pop("client_secret")

        grant_type = check_o_auth_2_data_grant_type(d.pop("grant_type"))

        scopes = cast(list[str], d.pop("scopes"))

        token_url = d.pop("token_url")

        access_token = d.pop("access_token", UNSET)

        authorization_url = d.pop("authorization_url", UNSET)

        refresh_token = d.pop("refresh_token", UNSET)

        _token_expires_at = d.pop("token_expires_at", UNSET)
        token_expires_at: datetime.datetime | Unset
        if isinstance(_token_expires_at, Unset):
            token_expires_at = UNSET
        else:
            token_expires_at = datetime.datetime.fromisoformat(_token_expires_at)

        o_auth_2_data = cls(
            client_id=client_id,
            client_secret=client_secret,
            grant_type=grant_type,
            scopes=scopes,
            token_url=token_url,
            access_token=access_token,
            authorization_url=authorization_url,
            refresh_token=refresh_token,
            token_expires_at=token_expires_at,
        )

        return o_auth_2_data
