/*-------------------------------------------------------------------------
 *
 * resources.c
 *		  The Cloudflare resources cloudflare_fdw exposes, described as data.
 *
 * Each resource lists its endpoints, its pagination style, its columns
 * with the JSON field each one reads, the filters the API accepts (which
 * SQL shape becomes which query parameter), the orders it can produce and
 * the write calls it has.  The planner, the executor, IMPORT FOREIGN SCHEMA
 * and the write path read only these tables: adding a resource means
 * adding an entry here, plus tests.  The paths of a request are filled in
 * here too (cf_fill_path), with every value percent-encoded and checked to
 * name no other endpoint.
 *
 * Wire names follow Cloudflare's OpenAPI document (camelCase suffixes such
 * as name.startsWith), see docs/reference.md.  So do the limits a filter
 * value is checked against before it is sent (cf_judge_values): enums,
 * maxLength, and which values cannot be empty (ids and path values always;
 * CF_FLT_NONEMPTY elsewhere).  The API takes an empty filter value as no
 * filter at all, so an empty value is never sent.
 *
 * IDENTIFICATION
 *		  src/resources.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "cloudflare_fdw.h"
#include "pushdown.h"
#include "request.h"
#include "lib/stringinfo.h"

#define lengthof_array(a) ((int) (sizeof(a) / sizeof((a)[0])))

static const char *const member_statuses[] =
{"active", "pending", "rejected", "canceled", NULL};
static const char *const membership_statuses[] =
{"accepted", "pending", "rejected", NULL};

/* A member is created active or canceled; it may later read otherwise. */
static const char *const member_create_statuses[] = {"active", "canceled", NULL};

/* A membership is accepted or rejected, never set back to pending. */
static const char *const membership_update_statuses[] = {"accepted", "rejected", NULL};

/* ---------------------------------------------------------------------
 * organizations
 * ---------------------------------------------------------------------
 */
static const CfColumnDef org_columns[] = {
	{"id", "id", "text", CF_COL_READONLY | CF_COL_ID},
	{"name", "name", "text", CF_COL_INSERT | CF_COL_UPDATE | CF_COL_REQUIRED},
	{"create_time", "create_time", "timestamptz", CF_COL_READONLY},
	{"parent_id", "parent.id", "text", CF_COL_INSERT},
	{"parent_name", "parent.name", "text", CF_COL_READONLY},
	{"managed_by", "meta.managed_by", "text", CF_COL_READONLY},
	{"meta", "meta", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT},
	{"profile", "profile", "jsonb", CF_COL_INSERT | CF_COL_DOC_OBJECT},
	{"containing_account", NULL, "text", CF_COL_FILTER_ONLY},
	{"containing_user", NULL, "text", CF_COL_FILTER_ONLY},
	{"containing_organization", NULL, "text", CF_COL_FILTER_ONLY},
};

static const CfFilterDef org_filters[] = {
	{"id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_LOOKUP},
	{"id", CF_OP_IN, "id", NULL, NULL, CF_FLT_NONEMPTY},
	{"name", CF_OP_EQ, "name", NULL, NULL, 0},
	{"name", CF_OP_PREFIX, "name.startsWith", NULL, NULL, CF_FLT_CASE_INSENSITIVE},
	{"name", CF_OP_SUFFIX, "name.endsWith", NULL, NULL, CF_FLT_CASE_INSENSITIVE},
	{"name", CF_OP_CONTAINS, "name.contains", NULL, NULL, CF_FLT_CASE_INSENSITIVE},
	{"parent_id", CF_OP_EQ, "parent.id", NULL, NULL, CF_FLT_NONEMPTY | CF_FLT_EXACT},
	{"parent_id", CF_OP_IS_NULL, "parent.id", "null", NULL, CF_FLT_EXACT},
	{"containing_account", CF_OP_EQ, "containing.account", NULL, NULL, CF_FLT_EXACT},
	{"containing_user", CF_OP_EQ, "containing.user", NULL, NULL, CF_FLT_EXACT},
	{"containing_organization", CF_OP_EQ, "containing.organization", NULL, NULL, CF_FLT_EXACT},
};

/* ---------------------------------------------------------------------
 * organization_accounts
 * ---------------------------------------------------------------------
 */
static const CfColumnDef account_columns[] = {
	{"organization_id", NULL, "text", CF_COL_SCOPE | CF_COL_READONLY},
	{"id", "id", "text", CF_COL_READONLY | CF_COL_ID},
	{"name", "name", "text", CF_COL_READONLY},
	{"type", "type", "text", CF_COL_READONLY},
	{"created_on", "created_on", "timestamptz", CF_COL_READONLY},
	{"settings", "settings", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT},
	{"abuse_contact_email", "settings.abuse_contact_email", "text", CF_COL_READONLY},
	{"enforce_twofactor", "settings.enforce_twofactor", "boolean", CF_COL_READONLY},
	{"api_access_enabled", "settings.api_access_enabled", "boolean", CF_COL_READONLY},
	{"access_approval_expiry", "settings.access_approval_expiry", "timestamptz", CF_COL_READONLY},
};

static const CfFilterDef account_filters[] = {
	{"organization_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH},
	{"organization_id", CF_OP_IN, NULL, NULL, NULL, CF_FLT_PATH},
	{"name", CF_OP_EQ, "name", NULL, NULL, CF_FLT_CASE_INSENSITIVE},
	{"name", CF_OP_PREFIX, "name.startsWith", NULL, NULL, CF_FLT_CASE_INSENSITIVE},
	{"name", CF_OP_SUFFIX, "name.endsWith", NULL, NULL, CF_FLT_CASE_INSENSITIVE},
	{"name", CF_OP_CONTAINS, "name.contains", NULL, NULL, CF_FLT_CASE_INSENSITIVE},
};

static const CfOrderDef account_orders[] = {
	{"name", "order_by", "account_name", "direction"},
};

/* ---------------------------------------------------------------------
 * organization_profiles
 * ---------------------------------------------------------------------
 */
static const CfColumnDef profile_columns[] = {
	{"organization_id", NULL, "text", CF_COL_SCOPE | CF_COL_ID},
	{"business_name", "business_name", "text", CF_COL_INSERT | CF_COL_UPDATE},
	{"business_email", "business_email", "text", CF_COL_INSERT | CF_COL_UPDATE},
	{"business_address", "business_address", "text", CF_COL_INSERT | CF_COL_UPDATE},
	{"business_phone", "business_phone", "text", CF_COL_INSERT | CF_COL_UPDATE},
	{"external_metadata", "external_metadata", "text", CF_COL_INSERT | CF_COL_UPDATE},
};

static const CfFilterDef profile_filters[] = {
	{"organization_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH},
	{"organization_id", CF_OP_IN, NULL, NULL, NULL, CF_FLT_PATH},
};

/* ---------------------------------------------------------------------
 * organization_members
 * ---------------------------------------------------------------------
 */
static const CfColumnDef member_columns[] = {
	{"organization_id", NULL, "text", CF_COL_SCOPE | CF_COL_INSERT},
	{"id", "id", "text", CF_COL_READONLY | CF_COL_ID},
	{"status", "status", "text", CF_COL_INSERT, member_create_statuses},
	{"create_time", "create_time", "timestamptz", CF_COL_READONLY},
	{"update_time", "update_time", "timestamptz", CF_COL_READONLY},
	{"user_id", "user.id", "text", CF_COL_READONLY},
	{"user_email", "user.email", "text", CF_COL_INSERT | CF_COL_REQUIRED},
	{"user_name", "user.name", "text", CF_COL_READONLY},
	{"user_two_factor_authentication_enabled",
	 "user.two_factor_authentication_enabled", "boolean", CF_COL_READONLY},
	{"meta", "meta", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT},
};

static const CfFilterDef member_filters[] = {
	{"organization_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH},
	{"organization_id", CF_OP_IN, NULL, NULL, NULL, CF_FLT_PATH},
	{"id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_LOOKUP},
	{"status", CF_OP_EQ, "status", NULL, member_statuses, CF_FLT_EXACT},
	{"status", CF_OP_IN, "status", NULL, member_statuses, CF_FLT_EXACT},
	{"user_email", CF_OP_EQ, "user.email", NULL, NULL, 0},
	/* case sensitivity is undocumented: LIKE is pushed, ILIKE is not */
	{"user_email", CF_OP_PREFIX, "user.email.startsWith", NULL, NULL, 0},
	{"user_email", CF_OP_SUFFIX, "user.email.endsWith", NULL, NULL, 0},
	{"user_email", CF_OP_CONTAINS, "user.email.contains", NULL, NULL, 0},
};

/* ---------------------------------------------------------------------
 * memberships (of the current user)
 * ---------------------------------------------------------------------
 */
static const CfColumnDef membership_columns[] = {
	{"id", "id", "text", CF_COL_READONLY | CF_COL_ID},
	{"status", "status", "text", CF_COL_UPDATE, NULL, membership_update_statuses},
	{"api_access_enabled", "api_access_enabled", "boolean", CF_COL_READONLY},
	{"roles", "roles", "text[]", CF_COL_READONLY},
	{"permissions", "permissions", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT},
	{"policies", "policies", "jsonb", CF_COL_READONLY | CF_COL_DOC_ARRAY},
	{"account_id", "account.id", "text", CF_COL_READONLY},
	{"account_name", "account.name", "text", CF_COL_READONLY},
	{"account_type", "account.type", "text", CF_COL_READONLY},
	{"account", "account", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT},
};

static const CfFilterDef membership_filters[] = {
	/* the document: a membership id has at most 32 characters, an account
	 * name at most 100 */
	{"id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_LOOKUP, 32},
	{"status", CF_OP_EQ, "status", NULL, membership_statuses, 0},
	{"account_name", CF_OP_EQ, "account.name", NULL, NULL, 0, 100},
};

static const CfOrderDef membership_orders[] = {
	{"id", "order", "id", "direction"},
	{"account_name", "order", "account.name", "direction"},
	{"status", "order", "status", "direction"},
};

/* ---------------------------------------------------------------------
 * organization_audit_logs and organization_audit_log_history
 * ---------------------------------------------------------------------
 */
static const char *const audit_action_results[] = {"success", "failure", NULL};
static const char *const audit_action_types[] =
{"create", "delete", "view", "update", NULL};

/* the document's five, and "api", which the newest SDK adds */
static const char *const audit_actor_contexts[] =
{"api_key", "api_token", "dash", "oauth", "origin_ca_key", "api", NULL};
static const char *const audit_actor_types[] =
{"cloudflare_admin", "system", "user", NULL};

/* The columns of an audit log entry, in both tables. */
#define CF_AUDIT_COLUMNS \
	{"organization_id", NULL, "text", CF_COL_SCOPE | CF_COL_READONLY}, \
	{"id", "id", "text", CF_COL_READONLY}, \
	{"action_time", "action.time", "timestamptz", CF_COL_READONLY}, \
	{"action_type", "action.type", "text", CF_COL_READONLY}, \
	{"action_result", "action.result", "text", CF_COL_READONLY}, \
	{"action_description", "action.description", "text", CF_COL_READONLY}, \
	{"actor_id", "actor.id", "text", CF_COL_READONLY}, \
	{"actor_email", "actor.email", "text", CF_COL_READONLY}, \
	{"actor_type", "actor.type", "text", CF_COL_READONLY}, \
	{"actor_context", "actor.context", "text", CF_COL_READONLY}, \
	{"actor_ip_address", "actor.ip_address", "inet", CF_COL_READONLY}, \
	{"actor_token_id", "actor.token_id", "text", CF_COL_READONLY}, \
	{"actor_token_name", "actor.token_name", "text", CF_COL_READONLY}, \
	{"resource_id", "resource.id", "text", CF_COL_READONLY}, \
	{"resource_type", "resource.type", "text", CF_COL_READONLY}, \
	{"resource_product", "resource.product", "text", CF_COL_READONLY}, \
	{"resource_scope", "resource.scope", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT}, \
	{"resource_request", "resource.request", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT}, \
	{"resource_response", "resource.response", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT}, \
	{"raw_method", "raw.method", "text", CF_COL_READONLY}, \
	{"raw_uri", "raw.uri", "text", CF_COL_READONLY}, \
	{"raw_status_code", "raw.status_code", "integer", CF_COL_READONLY}, \
	{"raw_cf_ray_id", "raw.cf_ray_id", "text", CF_COL_READONLY}, \
	{"raw_user_agent", "raw.user_agent", "text", CF_COL_READONLY}

static const CfColumnDef audit_columns[] = {
	CF_AUDIT_COLUMNS,
};

static const CfColumnDef audit_history_columns[] = {
	CF_AUDIT_COLUMNS,
	{"history_status", "history_status", "text", CF_COL_READONLY | CF_COL_PAGE_INFO},
	{"source_id", NULL, "text", CF_COL_FILTER_ONLY},
	{"source_action_time", NULL, "timestamptz", CF_COL_FILTER_ONLY},
};

/*
 * A list filter of the audit logs: = and IN send the parameter, <> and
 * NOT IN its ".not" variant; every one may be repeated.
 */
#define CF_AUDIT_FILTER(col, enums, flags) \
	{col, CF_OP_EQ, col, NULL, enums, flags}, \
	{col, CF_OP_IN, col, NULL, enums, flags}, \
	{col, CF_OP_NE, col ".not", NULL, enums, flags}, \
	{col, CF_OP_NOT_IN, col ".not", NULL, enums, flags}

static const CfFilterDef audit_filters[] = {
	{"organization_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH},
	{"organization_id", CF_OP_IN, NULL, NULL, NULL, CF_FLT_PATH},
	/* the window's bounds: its parameters are the window's (audit_window) */
	{"action_time", CF_OP_LOWER, NULL, NULL, NULL, CF_FLT_REQUIRED},
	{"action_time", CF_OP_UPPER, NULL, NULL, NULL, 0},
	CF_AUDIT_FILTER("id", NULL, CF_FLT_NONEMPTY),
	CF_AUDIT_FILTER("action_type", audit_action_types, 0),
	CF_AUDIT_FILTER("action_result", audit_action_results, 0),
	CF_AUDIT_FILTER("actor_id", NULL, 0),
	CF_AUDIT_FILTER("actor_email", NULL, CF_FLT_EMAIL),
	CF_AUDIT_FILTER("actor_type", audit_actor_types, 0),
	CF_AUDIT_FILTER("actor_context", audit_actor_contexts, 0),
	CF_AUDIT_FILTER("actor_ip_address", NULL, CF_FLT_IPV4),
	CF_AUDIT_FILTER("actor_token_id", NULL, 0),
	CF_AUDIT_FILTER("actor_token_name", NULL, 0),
	CF_AUDIT_FILTER("resource_id", NULL, 0),
	CF_AUDIT_FILTER("resource_type", NULL, 0),
	CF_AUDIT_FILTER("resource_product", NULL, 0),
	CF_AUDIT_FILTER("raw_method", NULL, 0),
	CF_AUDIT_FILTER("raw_uri", NULL, 0),
	CF_AUDIT_FILTER("raw_status_code", NULL, CF_FLT_HTTP_STATUS),
	CF_AUDIT_FILTER("raw_cf_ray_id", NULL, 0),
};

static const CfFilterDef audit_history_filters[] = {
	{"organization_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH},
	{"organization_id", CF_OP_IN, NULL, NULL, NULL, CF_FLT_PATH},
	{"source_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH_ID | CF_FLT_REQUIRED | CF_FLT_UUID},
	{"source_action_time", CF_OP_EQ, "action_time", NULL, NULL, CF_FLT_REQUIRED},
	{"action_time", CF_OP_LOWER, NULL, NULL, NULL, CF_FLT_REQUIRED},
	{"action_time", CF_OP_UPPER, NULL, NULL, NULL, 0},
};

static const CfWindowDef audit_window = {
	.column = "action_time",
	.lower_param = "since",
	.upper_param = "before",
	.upper_inclusive = false,
	.max_days = 0,
	.default_text = NULL,
};

static const CfOrderDef audit_orders[] = {
	{"action_time", NULL, NULL, "direction"},
};

/* ---------------------------------------------------------------------
 * organization_usage (FOCUS cost and usage records)
 * ---------------------------------------------------------------------
 */
static const CfColumnDef usage_columns[] = {
	{"organization_id", NULL, "text", CF_COL_SCOPE | CF_COL_READONLY},
	{"charge_period_start", "ChargePeriodStart", "timestamptz", CF_COL_READONLY},
	{"charge_period_end", "ChargePeriodEnd", "timestamptz", CF_COL_READONLY},
	{"sub_account_id", "SubAccountId", "text", CF_COL_READONLY},
	{"sub_account_name", "SubAccountName", "text", CF_COL_READONLY},
	{"x_billable_metric_id", "x_BillableMetricId", "text", CF_COL_READONLY},
	{"x_billable_metric_name", "x_BillableMetricName", "text", CF_COL_READONLY},
	{"consumed_quantity", "ConsumedQuantity", "numeric", CF_COL_READONLY},
	{"consumed_unit", "ConsumedUnit", "text", CF_COL_READONLY},
	{"pricing_quantity", "PricingQuantity", "numeric", CF_COL_READONLY},
	{"pricing_unit", "PricingUnit", "text", CF_COL_READONLY},
	{"billed_cost", "BilledCost", "numeric", CF_COL_READONLY},
	{"effective_cost", "EffectiveCost", "numeric", CF_COL_READONLY},
	{"list_cost", "ListCost", "numeric", CF_COL_READONLY},
	{"list_unit_price", "ListUnitPrice", "numeric", CF_COL_READONLY},
	{"contracted_cost", "ContractedCost", "numeric", CF_COL_READONLY},
	{"contracted_unit_price", "ContractedUnitPrice", "numeric", CF_COL_READONLY},
	{"billing_currency", "BillingCurrency", "text", CF_COL_READONLY},
	{"billing_account_id", "BillingAccountId", "text", CF_COL_READONLY},
	{"billing_account_name", "BillingAccountName", "text", CF_COL_READONLY},
	{"billing_period_start", "BillingPeriodStart", "timestamptz", CF_COL_READONLY},
	{"billing_period_end", "BillingPeriodEnd", "timestamptz", CF_COL_READONLY},
	{"charge_category", "ChargeCategory", "text", CF_COL_READONLY},
	{"charge_class", "ChargeClass", "text", CF_COL_READONLY},
	{"charge_description", "ChargeDescription", "text", CF_COL_READONLY},
	{"charge_frequency", "ChargeFrequency", "text", CF_COL_READONLY},
	{"service_provider_name", "ServiceProviderName", "text", CF_COL_READONLY},
	{"host_provider_name", "HostProviderName", "text", CF_COL_READONLY},
	{"invoice_issuer_name", "InvoiceIssuerName", "text", CF_COL_READONLY},
	{"region_id", "RegionId", "text", CF_COL_READONLY},
	{"region_name", "RegionName", "text", CF_COL_READONLY},
	{"x_product_category_name", "x_ProductCategoryName", "text", CF_COL_READONLY},
	{"x_product_family_id", "x_ProductFamilyId", "text", CF_COL_READONLY},
	{"x_product_family_name", "x_ProductFamilyName", "text", CF_COL_READONLY},
	{"x_zone_id", "x_ZoneId", "text", CF_COL_READONLY},
	{"x_zone_name", "x_ZoneName", "text", CF_COL_READONLY},
	{"tags", "Tags", "jsonb", CF_COL_READONLY | CF_COL_DOC_OBJECT},
};

static const CfFilterDef usage_filters[] = {
	{"organization_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH},
	{"organization_id", CF_OP_IN, NULL, NULL, NULL, CF_FLT_PATH},
	/* the window's bounds: its parameters are the window's (usage_window) */
	{"charge_period_start", CF_OP_LOWER, NULL, NULL, NULL, 0},
	{"charge_period_start", CF_OP_UPPER, NULL, NULL, NULL, 0},
};

static const CfWindowDef usage_window = {
	.column = "charge_period_start",
	.lower_param = "from",
	.upper_param = "to",
	.upper_inclusive = true,
	.max_days = 31,
	.default_text = "the current month to today, UTC",
};

/* ---------------------------------------------------------------------
 * organization_shares
 * ---------------------------------------------------------------------
 */
static const char *const share_statuses[] = {"active", "deleting", "deleted", NULL};
static const char *const share_kinds[] = {"sent", "received", NULL};
static const char *const share_target_types[] = {"account", "organization", NULL};
static const char *const share_resource_types[] =
{"custom-ruleset", "gateway-policy", "gateway-destination-ip",
	"gateway-block-page-settings", "gateway-extended-email-matching",
"idp-federation-grant", NULL};

static const CfColumnDef share_columns[] = {
	{"organization_id", NULL, "text", CF_COL_SCOPE | CF_COL_READONLY},
	{"id", "id", "text", CF_COL_READONLY},
	{"name", "name", "text", CF_COL_READONLY},
	{"kind", "kind", "text", CF_COL_READONLY},
	{"status", "status", "text", CF_COL_READONLY},
	{"target_type", "target_type", "text", CF_COL_READONLY},
	{"account_id", "account_id", "text", CF_COL_READONLY},
	{"account_name", "account_name", "text", CF_COL_READONLY},
	{"created", "created", "timestamptz", CF_COL_READONLY},
	{"modified", "modified", "timestamptz", CF_COL_READONLY},
	{"associated_recipient_count", "associated_recipient_count", "integer", CF_COL_READONLY},
	{"associating_recipient_count", "associating_recipient_count", "integer", CF_COL_READONLY},
	{"disassociated_recipient_count", "disassociated_recipient_count", "integer", CF_COL_READONLY},
	{"disassociating_recipient_count", "disassociating_recipient_count", "integer", CF_COL_READONLY},
	{"resources", "resources", "jsonb", CF_COL_READONLY | CF_COL_DOC_ARRAY},
	{"resource_type", NULL, "text", CF_COL_FILTER_ONLY},
};

static const CfFilterDef share_filters[] = {
	{"organization_id", CF_OP_EQ, NULL, NULL, NULL, CF_FLT_PATH},
	{"organization_id", CF_OP_IN, NULL, NULL, NULL, CF_FLT_PATH},
	{"status", CF_OP_EQ, "status", NULL, share_statuses, 0},
	{"kind", CF_OP_EQ, "kind", NULL, share_kinds, 0},
	{"target_type", CF_OP_EQ, "target_type", NULL, share_target_types, 0},
	{"resource_type", CF_OP_EQ, "resource_types", NULL, share_resource_types, 0},
};

static const CfOrderDef share_orders[] = {
	{"name", "order", "name", "direction"},
	{"created", "order", "created", "direction"},
};

/* ---------------------------------------------------------------------
 * The resource table
 * ---------------------------------------------------------------------
 */
static const CfResource resources[CF_RES_COUNT] = {
	{
		.id = CF_RES_ORGANIZATIONS,
		.token_group = "User Details",
		.beta = true,
		.name = "organizations",
		.item_name = "organization",
		.list_path = "/organizations",
		.item_path = "/organizations/{id}",
		.paging = CF_PAGING_TOKEN,
		.max_page_size = 1000,
		.min_page_size = 1,
		.page_param = "page_size",
		.columns = org_columns,
		.ncolumns = lengthof_array(org_columns),
		.filters = org_filters,
		.nfilters = lengthof_array(org_filters),
		.default_rows = 1000,
		.insert_method = "POST",
		.insert_path = "/organizations",
		.update_method = "PUT",
		.update_path = "/organizations/{id}",
		.update_answers_row = true,
		.delete_path = "/organizations/{id}",
		.writes_allowed = "INSERT (name, parent_id, profile), UPDATE of name, and DELETE",
	},
	{
		.id = CF_RES_ORGANIZATION_ACCOUNTS,
		.token_group = "User Details",
		.beta = true,
		.name = "organization_accounts",
		.item_name = "organization account",
		.list_path = "/organizations/{organization_id}/accounts",
		.paging = CF_PAGING_TOKEN,
		.max_page_size = 1000,
		.min_page_size = 1,
		.page_param = "page_size",
		.scope_column = "organization_id",
		.columns = account_columns,
		.ncolumns = lengthof_array(account_columns),
		.filters = account_filters,
		.nfilters = lengthof_array(account_filters),
		.orders = account_orders,
		.norders = lengthof_array(account_orders),
		.default_rows = 10,
		.writes_allowed = "no writes (the API has no call to create, modify or delete organization accounts)",
	},
	{
		.id = CF_RES_ORGANIZATION_PROFILES,
		.token_group = "User Details",
		.beta = true,
		.name = "organization_profiles",
		.item_name = "organization profile",
		.list_path = "/organizations/{organization_id}/profile",
		.paging = CF_PAGING_NONE,
		.scope_column = "organization_id",
		.columns = profile_columns,
		.ncolumns = lengthof_array(profile_columns),
		.filters = profile_filters,
		.nfilters = lengthof_array(profile_filters),
		.default_rows = 1,
		.embedded_field = "profile",
		.insert_method = "PUT",
		.insert_path = "/organizations/{organization_id}/profile",
		.update_method = "PUT",
		.update_path = "/organizations/{organization_id}/profile",
		.writes_allowed = "INSERT or UPDATE (both replace the whole profile)",
	},
	{
		.id = CF_RES_ORGANIZATION_MEMBERS,
		.token_group = "User Details",
		.beta = true,
		.name = "organization_members",
		.item_name = "organization member",
		.list_path = "/organizations/{organization_id}/members",
		.item_path = "/organizations/{organization_id}/members/{id}",
		.paging = CF_PAGING_TOKEN,
		.max_page_size = 1000,
		.min_page_size = 1,
		.page_param = "page_size",
		.scope_column = "organization_id",
		.columns = member_columns,
		.ncolumns = lengthof_array(member_columns),
		.filters = member_filters,
		.nfilters = lengthof_array(member_filters),
		.default_rows = 50,
		.insert_method = "POST",
		.insert_path = "/organizations/{organization_id}/members",
		.insert_wrapper = "member",
		.batch_path = "/organizations/{organization_id}/members:batchCreate",
		.batch_wrapper = "members",
		.batch_max = 10,
		.delete_path = "/organizations/{organization_id}/members/{id}",
		.writes_allowed = "INSERT (organization_id, user_email, status) and DELETE",
	},
	{
		.id = CF_RES_MEMBERSHIPS,
		.token_group = "Memberships",
		.name = "memberships",
		.item_name = "membership",
		.list_path = "/memberships",
		.item_path = "/memberships/{id}",
		.paging = CF_PAGING_PAGE,
		.max_page_size = 50,
		.min_page_size = 5,
		.page_param = "per_page",
		.columns = membership_columns,
		.ncolumns = lengthof_array(membership_columns),
		.filters = membership_filters,
		.nfilters = lengthof_array(membership_filters),
		.orders = membership_orders,
		.norders = lengthof_array(membership_orders),
		.default_rows = 20,
		.update_method = "PUT",
		.update_path = "/memberships/{id}",
		.update_answers_row = true,
		.delete_path = "/memberships/{id}",
		.writes_allowed = "UPDATE of status (to accepted or rejected) and DELETE",
	},
	{
		.id = CF_RES_ORGANIZATION_AUDIT_LOGS,
		.token_group = "User Details",
		.beta = true,
		.name = "organization_audit_logs",
		.item_name = "organization audit log entry",
		.list_path = "/organizations/{organization_id}/logs/audit",
		.paging = CF_PAGING_CURSOR,
		.max_page_size = 1000,
		.min_page_size = 1,
		.page_param = "limit",
		.scope_column = "organization_id",
		.columns = audit_columns,
		.ncolumns = lengthof_array(audit_columns),
		.filters = audit_filters,
		.nfilters = lengthof_array(audit_filters),
		.orders = audit_orders,
		.norders = lengthof_array(audit_orders),
		.default_rows = 1000,
		.window = &audit_window,
		.writes_allowed = "no writes (audit logs are read-only)",
	},
	{
		.id = CF_RES_ORGANIZATION_AUDIT_LOG_HISTORY,
		.token_group = "User Details",
		.beta = true,
		.name = "organization_audit_log_history",
		.item_name = "organization audit log entry",
		.list_path = "/organizations/{organization_id}/logs/audit/{id}/history",
		.paging = CF_PAGING_CURSOR,
		.max_page_size = 1000,
		.min_page_size = 1,
		.page_param = "limit",
		.scope_column = "organization_id",
		.columns = audit_history_columns,
		.ncolumns = lengthof_array(audit_history_columns),
		.filters = audit_history_filters,
		.nfilters = lengthof_array(audit_history_filters),
		.orders = audit_orders,
		.norders = lengthof_array(audit_orders),
		.default_rows = 10,
		.window = &audit_window,
		.writes_allowed = "no writes (audit logs are read-only)",
	},
	{
		.id = CF_RES_ORGANIZATION_USAGE,
		.token_group = "User Details",
		.beta = true,
		.name = "organization_usage",
		.item_name = "organization usage record",
		.list_path = "/organizations/{organization_id}/billable/usage",
		.paging = CF_PAGING_ONCE,
		.scope_column = "organization_id",
		.columns = usage_columns,
		.ncolumns = lengthof_array(usage_columns),
		.filters = usage_filters,
		.nfilters = lengthof_array(usage_filters),
		.default_rows = 300,
		.window = &usage_window,
		.writes_allowed = "no writes (billable usage is read-only)",
	},
	{
		.id = CF_RES_ORGANIZATION_SHARES,
		.token_group = "User Details",
		.beta = true,
		.name = "organization_shares",
		.item_name = "organization share",
		.list_path = "/organizations/{organization_id}/shares",
		.paging = CF_PAGING_PAGE,
		.max_page_size = 100,
		.min_page_size = 1,
		.page_param = "per_page",
		.scope_column = "organization_id",
		.columns = share_columns,
		.ncolumns = lengthof_array(share_columns),
		.filters = share_filters,
		.nfilters = lengthof_array(share_filters),
		.orders = share_orders,
		.norders = lengthof_array(share_orders),
		.default_rows = 20,
		.writes_allowed = "no writes (the API lists organization shares only)",
	},
};

/*
 * cf_resource_by_name
 *		The resource a foreign table's "resource" option names, or NULL.
 */
const CfResource *
cf_resource_by_name(const char *name)
{
	for (int i = 0; i < CF_RES_COUNT; i++)
	{
		if (strcmp(resources[i].name, name) == 0)
			return &resources[i];
	}
	return NULL;
}

const CfResource *
cf_resource_by_id(CfResourceId id)
{
	Assert(id >= 0 && id < CF_RES_COUNT);
	return &resources[id];
}

/*
 * cf_resource_column
 *		The documented column of that name, or NULL for a column the user
 *		added (which then reads the JSON field of its own name or json_path).
 */
const CfColumnDef *
cf_resource_column(const CfResource *res, const char *colname)
{
	for (int i = 0; i < res->ncolumns; i++)
	{
		if (strcmp(res->columns[i].name, colname) == 0)
			return &res->columns[i];
	}
	return NULL;
}

/*
 * cf_resource_field_type
 *		The JSON type the document gives the field at json_path, from the
 *		column that reads it (see CF_COL_DOC_OBJECT); CF_DOC_ANY for a field
 *		no column of the resource describes.
 */
CfDocType
cf_resource_field_type(const CfResource *res, const char *json_path)
{
	const CfColumnDef *col = NULL;
	size_t		len;

	if (json_path == NULL)
		return CF_DOC_ANY;
	for (int i = 0; i < res->ncolumns && col == NULL; i++)
	{
		if (res->columns[i].json_path != NULL &&
			strcmp(res->columns[i].json_path, json_path) == 0)
			col = &res->columns[i];
	}
	if (col == NULL)
		return CF_DOC_ANY;
	if (col->flags & CF_COL_DOC_OBJECT)
		return CF_DOC_OBJECT;
	if (col->flags & CF_COL_DOC_ARRAY)
		return CF_DOC_ARRAY;
	len = strlen(col->sql_type);
	if (len > 2 && strcmp(col->sql_type + len - 2, "[]") == 0)
		return CF_DOC_ARRAY;
	if (strcmp(col->sql_type, "jsonb") == 0)
		return CF_DOC_ANY;
	if (strcmp(col->sql_type, "boolean") == 0)
		return CF_DOC_BOOLEAN;
	if (strcmp(col->sql_type, "integer") == 0 ||
		strcmp(col->sql_type, "bigint") == 0 ||
		strcmp(col->sql_type, "numeric") == 0)
		return CF_DOC_NUMBER;
	return CF_DOC_STRING;
}

/*
 * cf_resource_names
 *		"organizations, organization_accounts, ..." for error hints.
 */
const char *
cf_resource_names(void)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int i = 0; i < CF_RES_COUNT; i++)
		appendStringInfo(&buf, "%s%s", i > 0 ? ", " : "", resources[i].name);
	return buf.data;
}

/* ---------------------------------------------------------------------
 * Paths: a resource's path template with its values
 * ---------------------------------------------------------------------
 */

/*
 * cf_check_path_value
 *		A value for a path segment must be one: an empty value, "." or ".."
 *		would send the request to another endpoint.  Scans never get here
 *		with one (cf_judge_values answers them without a request); a write
 *		whose row names one is refused.
 */
static void
cf_check_path_value(const char *template, const char *what, const char *value)
{
	if (value[0] == '\0' || strcmp(value, ".") == 0 || strcmp(value, "..") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid %s for the Cloudflare API: \"%s\"", what, value),
				 errdetail("It goes into the path %s, where an empty value, \".\" or \"..\" would name another endpoint.",
						   template)));
}

/*
 * cf_fanout_resource
 *		The resource whose list names the organizations a scoped resource
 *		is read for when no organization_id is given (a fan-out), and whose
 *		pages carry an embedded resource's rows: the organizations.
 */
const CfResource *
cf_fanout_resource(const CfResource *res)
{
	(void) res;
	return cf_resource_by_id(CF_RES_ORGANIZATIONS);
}

/* Whether a resource's list requests carry a page size (and so page). */
bool
cf_paging_sized(const CfResource *res)
{
	return res->paging != CF_PAGING_NONE && res->paging != CF_PAGING_ONCE;
}

/*
 * cf_path_takes
 *		Whether a path template has the placeholder of part: the scope's
 *		{organization_id} or the object's {id}.
 */
bool
cf_path_takes(const char *template, CfPathPart part)
{
	return template != NULL &&
		strstr(template, part == CF_PATH_SCOPE ? "{organization_id}" : "{id}") != NULL;
}

/*
 * cf_resource_filter
 *		The index of the resource's filter on column with operator op, or
 *		-1.
 */
int
cf_resource_filter(const CfResource *res, const char *column, CfFilterOp op)
{
	for (int i = 0; i < res->nfilters; i++)
	{
		if (res->filters[i].op == op &&
			strcmp(res->filters[i].column, column) == 0)
			return i;
	}
	return -1;
}

/* cf_fill_path with a choice of escaping (EXPLAIN labels are not values). */
static char *
cf_fill_path_ext(const char *template, const char *organization_id,
				 const char *id, bool escape)
{
	StringInfoData buf;
	const char *p = template;

	if (escape && organization_id)
		cf_check_path_value(template, "organization_id", organization_id);
	if (escape && id)
		cf_check_path_value(template, "id", id);
	initStringInfo(&buf);
	while (*p)
	{
		if (strncmp(p, "{organization_id}", 17) == 0 && organization_id)
		{
			appendStringInfoString(&buf, escape ? cf_url_escape(organization_id)
								   : organization_id);
			p += 17;
		}
		else if (strncmp(p, "{id}", 4) == 0 && id)
		{
			appendStringInfoString(&buf, escape ? cf_url_escape(id) : id);
			p += 4;
		}
		else
			appendStringInfoChar(&buf, *p++);
	}
	return buf.data;
}

/*
 * cf_fill_path_label
 *		A path template with the given texts in its placeholders as they
 *		are (already escaped, or "$1"): for EXPLAIN.
 */
char *
cf_fill_path_label(const char *template, const char *organization_id,
				   const char *id)
{
	return cf_fill_path_ext(template, organization_id, id, false);
}

/*
 * cf_fill_path
 *		A path template with {organization_id} and {id} replaced by the
 *		percent-encoded values; a NULL value leaves its placeholder.
 */
char *
cf_fill_path(const char *template, const char *organization_id, const char *id)
{
	return cf_fill_path_ext(template, organization_id, id, true);
}
