//! Managing the WhatsApp account through the Graph API: phone numbers, the business profile, message
//! templates, the app's webhook subscription on the business account, the account's details, and tokens.
//!
//! Fields Meta adds later are kept in `extra` rather than dropped, so the API can pass them on.

use super::client::{AccessToken, CallError, GraphClient, Success};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

#[cfg(feature = "openapi")]
use poem_openapi::{Enum, Object};

/// A page of a Graph list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paging: Option<Value>,
}

impl<T> Page<T> {
    /// The cursor of the next page, when there is one.
    pub fn after(&self) -> Option<&str> {
        let paging = self.paging.as_ref()?;
        paging.get("next")?;
        paging.pointer("/cursors/after")?.as_str()
    }
}

pub const PHONE_NUMBER_FIELDS: &str =
    "id,display_phone_number,verified_name,quality_rating,status,\
code_verification_status,name_status,platform_type,throughput,messaging_limit_tier";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct PhoneNumber {
    pub id: String,
    pub display_phone_number: Option<String>,
    pub verified_name: Option<String>,
    /// `GREEN`, `YELLOW`, `RED`, `UNKNOWN`.
    pub quality_rating: Option<String>,
    /// `CONNECTED`, `PENDING`, `DISCONNECTED`, ...
    pub status: Option<String>,
    pub code_verification_status: Option<String>,
    pub name_status: Option<String>,
    pub platform_type: Option<String>,
    /// `{"level": "STANDARD"|"HIGH"|"NOT_APPLICABLE"}`.
    pub throughput: Option<Value>,
    /// How many customers the number may start conversations with a day: `TIER_250`, `TIER_1K`,
    /// `TIER_10K`, `TIER_100K`, `TIER_UNLIMITED`.
    pub messaging_limit_tier: Option<String>,
    /// Fields Meta added that this version does not name.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(skip))]
    pub extra: Map<String, Value>,
}

/// How Meta sends the verification code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
#[cfg_attr(feature = "openapi", derive(Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "UPPERCASE"))]
pub enum CodeMethod {
    Sms,
    Voice,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct BusinessProfile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Read only: set through `profile_picture_handle`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websites: Option<Vec<String>>,
    /// `RETAIL`, `OTHER`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<String>,
}

/// Changes to the business profile; absent fields stay as they are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct ProfileUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub websites: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vertical: Option<String>,
    /// A handle from Meta's resumable upload.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile_picture_handle: Option<String>,
}

impl ProfileUpdate {
    /// Meta's documented limits: `about` up to 139 characters, at most two websites.
    pub fn validate(&self) -> Result<(), String> {
        if self
            .about
            .as_deref()
            .is_some_and(|a| a.chars().count() > 139)
        {
            return Err("about allows at most 139 characters".into());
        }
        if self.websites.as_ref().is_some_and(|w| w.len() > 2) {
            return Err("websites allows at most two addresses".into());
        }
        if self.email.as_deref().is_some_and(|e| !e.contains('@')) {
            return Err("email must be an email address".into());
        }
        Ok(())
    }
}

pub const TEMPLATE_FIELDS: &str =
    "id,name,status,category,language,components,quality_score,rejected_reason";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct Template {
    pub id: String,
    pub name: String,
    pub language: Option<String>,
    /// `APPROVED`, `PENDING`, `REJECTED`, `PAUSED`, ...
    pub status: Option<String>,
    /// `MARKETING`, `UTILITY`, `AUTHENTICATION`.
    pub category: Option<String>,
    #[serde(default)]
    pub components: Vec<Value>,
    /// Why Meta rejected it (`INVALID_FORMAT`, `PROMOTIONAL`, ...), or `NONE`.
    pub rejected_reason: Option<String>,
    /// Fields Meta added that this version does not name.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(skip))]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct NewTemplate {
    /// Lower case letters, digits and underscores.
    pub name: String,
    pub language: String,
    pub category: String,
    pub components: Vec<Value>,
}

impl NewTemplate {
    pub fn validate(&self) -> Result<(), String> {
        if self.name.is_empty()
            || self.name.len() > 512
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        {
            return Err(
                "name must be 1 to 512 lower-case letters, digits or underscores".to_owned(),
            );
        }
        if !["MARKETING", "UTILITY", "AUTHENTICATION"].contains(&self.category.as_str()) {
            return Err("category must be MARKETING, UTILITY or AUTHENTICATION".into());
        }
        if self.language.trim().is_empty() {
            return Err("language must not be empty".into());
        }
        let has_body = self.components.iter().any(|c| {
            c.get("type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("BODY"))
        });
        if !has_body {
            return Err("components must include a BODY".into());
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct TemplateCreated {
    pub id: String,
    pub status: Option<String>,
    pub category: Option<String>,
}

/// Filters of the template list.
#[derive(Debug, Clone, Default)]
pub struct TemplateQuery {
    pub name: Option<String>,
    pub status: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct SubscribedApp {
    pub whatsapp_business_api_data: Option<Value>,
    pub override_callback_uri: Option<String>,
}

impl SubscribedApp {
    pub fn app_id(&self) -> Option<&str> {
        self.whatsapp_business_api_data
            .as_ref()?
            .get("id")?
            .as_str()
    }
}

pub const BUSINESS_ACCOUNT_FIELDS: &str = "id,name,timezone_id,message_template_namespace,\
account_review_status,business_verification_status,currency,country,ownership_type";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct BusinessAccount {
    pub id: String,
    pub name: Option<String>,
    pub timezone_id: Option<String>,
    pub message_template_namespace: Option<String>,
    pub account_review_status: Option<String>,
    pub business_verification_status: Option<String>,
    pub currency: Option<String>,
    pub country: Option<String>,
    pub ownership_type: Option<String>,
    /// Fields Meta added that this version does not name.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(skip))]
    pub extra: Map<String, Value>,
}

/// What Meta says about a token (`debug_token`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(Object))]
pub struct TokenInfo {
    pub app_id: Option<String>,
    /// `USER`, `SYSTEM_USER`, `APP`.
    #[serde(rename = "type")]
    #[cfg_attr(feature = "openapi", oai(rename = "type"))]
    pub token_type: Option<String>,
    pub application: Option<String>,
    /// Unix seconds; 0 means it never expires.
    pub expires_at: Option<i64>,
    pub data_access_expires_at: Option<i64>,
    pub is_valid: bool,
    pub issued_at: Option<i64>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// `[{"scope": "...", "target_ids": ["<waba id>"]}]`: which business accounts the token reaches.
    #[serde(default)]
    pub granular_scopes: Vec<Value>,
    pub user_id: Option<String>,
}

#[derive(Deserialize)]
struct TokenInfoEnvelope {
    data: TokenInfo,
}

/// A long-lived token from the exchange. `Debug` hides the token.
#[derive(Clone, Deserialize)]
pub struct LongLivedToken {
    pub access_token: String,
    pub token_type: Option<String>,
    /// Seconds (about 60 days).
    pub expires_in: Option<u64>,
}

impl std::fmt::Debug for LongLivedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LongLivedToken")
            .field("access_token", &"[redacted]")
            .field("expires_in", &self.expires_in)
            .finish()
    }
}

impl GraphClient {
    /// `GET /{waba-id}/phone_numbers`.
    pub async fn phone_numbers(
        &self,
        token: &AccessToken,
        waba_id: &str,
    ) -> Result<Page<PhoneNumber>, CallError> {
        let request = self
            .request(Method::GET, &format!("{waba_id}/phone_numbers"), token)
            .query(&[("fields", PHONE_NUMBER_FIELDS), ("limit", "100")]);
        self.call(request).await
    }

    /// `GET /{phone-number-id}`.
    pub async fn phone_number(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
    ) -> Result<PhoneNumber, CallError> {
        let request = self
            .request(Method::GET, phone_number_id, token)
            .query(&[("fields", PHONE_NUMBER_FIELDS)]);
        self.call(request).await
    }

    /// `POST /{phone-number-id}/register` with the number's two-step PIN.
    pub async fn register(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
        pin: &str,
    ) -> Result<Success, CallError> {
        check_pin(pin)?;
        self.post(
            token,
            &format!("{phone_number_id}/register"),
            json!({ "messaging_product": "whatsapp", "pin": pin }),
        )
        .await
    }

    /// `POST /{phone-number-id}/deregister`.
    pub async fn deregister(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
    ) -> Result<Success, CallError> {
        self.post(token, &format!("{phone_number_id}/deregister"), json!({}))
            .await
    }

    /// `POST /{phone-number-id}/request_code`.
    pub async fn request_code(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
        method: CodeMethod,
        language: &str,
    ) -> Result<Success, CallError> {
        self.post(
            token,
            &format!("{phone_number_id}/request_code"),
            json!({ "code_method": method, "language": language }),
        )
        .await
    }

    /// `POST /{phone-number-id}/verify_code`.
    pub async fn verify_code(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
        code: &str,
    ) -> Result<Success, CallError> {
        check_pin(code)?;
        self.post(
            token,
            &format!("{phone_number_id}/verify_code"),
            json!({ "code": code }),
        )
        .await
    }

    /// `GET /{phone-number-id}/whatsapp_business_profile`.
    pub async fn business_profile(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
    ) -> Result<BusinessProfile, CallError> {
        let request = self
            .request(
                Method::GET,
                &format!("{phone_number_id}/whatsapp_business_profile"),
                token,
            )
            .query(&[(
                "fields",
                "about,address,description,email,profile_picture_url,websites,vertical",
            )]);
        // Meta's specification nests the fields under `business_profile`; answers seen in the wild have
        // them flat. Both are read.
        let page: Page<Value> = self.call(request).await?;
        let mut item = page
            .data
            .into_iter()
            .next()
            .ok_or_else(|| CallError::Unexpected {
                message: "the answer holds no business profile".into(),
            })?;
        if let Some(nested) = item.get_mut("business_profile").map(Value::take) {
            if nested.is_object() {
                item = nested;
            }
        }
        serde_json::from_value(item).map_err(|e| CallError::Unexpected {
            message: e.to_string(),
        })
    }

    /// `POST /{phone-number-id}/whatsapp_business_profile`.
    pub async fn update_business_profile(
        &self,
        token: &AccessToken,
        phone_number_id: &str,
        update: &ProfileUpdate,
    ) -> Result<Success, CallError> {
        update
            .validate()
            .map_err(|message| CallError::Refused { message })?;
        let mut body = serde_json::to_value(update).unwrap_or_else(|_| json!({}));
        body["messaging_product"] = json!("whatsapp");
        self.post(
            token,
            &format!("{phone_number_id}/whatsapp_business_profile"),
            body,
        )
        .await
    }

    /// `GET /{waba-id}/message_templates`.
    pub async fn templates(
        &self,
        token: &AccessToken,
        waba_id: &str,
        query: &TemplateQuery,
    ) -> Result<Page<Template>, CallError> {
        let mut params = vec![
            ("fields", TEMPLATE_FIELDS.to_owned()),
            ("limit", query.limit.unwrap_or(100).to_string()),
        ];
        let optional = [
            ("name", &query.name),
            ("status", &query.status),
            ("after", &query.after),
        ];
        for (key, value) in optional {
            if let Some(value) = value {
                params.push((key, value.clone()));
            }
        }
        let request = self
            .request(Method::GET, &format!("{waba_id}/message_templates"), token)
            .query(&params);
        self.call(request).await
    }

    /// `POST /{waba-id}/message_templates`: submits a template for review.
    pub async fn create_template(
        &self,
        token: &AccessToken,
        waba_id: &str,
        template: &NewTemplate,
    ) -> Result<TemplateCreated, CallError> {
        template
            .validate()
            .map_err(|message| CallError::Refused { message })?;
        let request = self
            .request(Method::POST, &format!("{waba_id}/message_templates"), token)
            .json(template);
        self.call(request).await
    }

    /// `DELETE /{waba-id}/message_templates?name=` (every language), or one template with its id.
    pub async fn delete_template(
        &self,
        token: &AccessToken,
        waba_id: &str,
        name: &str,
        template_id: Option<&str>,
    ) -> Result<Success, CallError> {
        let mut params = vec![("name", name)];
        if let Some(id) = template_id {
            params.push(("hsm_id", id));
        }
        let request = self
            .request(
                Method::DELETE,
                &format!("{waba_id}/message_templates"),
                token,
            )
            .query(&params);
        self.call(request).await
    }

    /// `GET /{waba-id}/subscribed_apps`.
    pub async fn subscribed_apps(
        &self,
        token: &AccessToken,
        waba_id: &str,
    ) -> Result<Page<SubscribedApp>, CallError> {
        self.call(self.request(Method::GET, &format!("{waba_id}/subscribed_apps"), token))
            .await
    }

    /// `POST /{waba-id}/subscribed_apps`: without this Meta verifies the webhook but delivers nothing.
    pub async fn subscribe_app(
        &self,
        token: &AccessToken,
        waba_id: &str,
        override_callback: Option<(&str, &str)>,
    ) -> Result<Success, CallError> {
        let body = match override_callback {
            Some((uri, verify_token)) => {
                json!({ "override_callback_uri": uri, "verify_token": verify_token })
            }
            None => json!({}),
        };
        self.post(token, &format!("{waba_id}/subscribed_apps"), body)
            .await
    }

    /// `DELETE /{waba-id}/subscribed_apps`: deliveries stop at once.
    pub async fn unsubscribe_app(
        &self,
        token: &AccessToken,
        waba_id: &str,
    ) -> Result<Success, CallError> {
        self.call(self.request(Method::DELETE, &format!("{waba_id}/subscribed_apps"), token))
            .await
    }

    /// `GET /{waba-id}`.
    pub async fn business_account(
        &self,
        token: &AccessToken,
        waba_id: &str,
    ) -> Result<BusinessAccount, CallError> {
        let request = self
            .request(Method::GET, waba_id, token)
            .query(&[("fields", BUSINESS_ACCOUNT_FIELDS)]);
        self.call(request).await
    }

    /// `GET /debug_token?input_token=`: whether a token is valid, when it expires, what it may reach.
    /// Authorised with the app token.
    pub async fn debug_token(
        &self,
        app_token: &AccessToken,
        input_token: &AccessToken,
    ) -> Result<TokenInfo, CallError> {
        let request = self
            .request(Method::GET, "debug_token", app_token)
            .query(&[("input_token", input_token.expose())]);
        let envelope: TokenInfoEnvelope = self.call(request).await?;
        Ok(envelope.data)
    }

    /// `GET /oauth/access_token?grant_type=fb_exchange_token`: a short-lived user token for a long-lived
    /// one (about 60 days).
    pub async fn exchange_token(
        &self,
        app_id: &str,
        app_secret: &AccessToken,
        short_lived: &AccessToken,
    ) -> Result<LongLivedToken, CallError> {
        let request = self
            .request_anonymous(Method::GET, "oauth/access_token")
            .query(&[
                ("grant_type", "fb_exchange_token"),
                ("client_id", app_id),
                ("client_secret", app_secret.expose()),
                ("fb_exchange_token", short_lived.expose()),
            ]);
        self.call(request).await
    }

    async fn post(
        &self,
        token: &AccessToken,
        path: &str,
        body: Value,
    ) -> Result<Success, CallError> {
        self.call(self.request(Method::POST, path, token).json(&body))
            .await
    }
}

fn check_pin(pin: &str) -> Result<(), CallError> {
    if pin.len() == 6 && pin.chars().all(|c| c.is_ascii_digit()) {
        Ok(())
    } else {
        Err(CallError::Refused {
            message: "the PIN or code must be six digits".into(),
        })
    }
}
