"""Module and field definitions of the emulated org (the metadata behind /settings/modules and /settings/fields).

Field lists follow the v7 standard modules (zoho-crm-api.md §4, §12) plus a few custom fields, so that every Zoho
data type a connector meets appears somewhere. ``gen`` names the value generator in ``data.py``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from .org_settings import PIPELINES, STAGES

ID_BASE = 4_876_876_000_000_000_000
"""Org prefix of every id: ids are 19-digit strings such as "4876876000000123456"."""

JSON_TYPES: dict[str, str] = {
    "text": "string", "textarea": "string", "email": "string", "phone": "string", "website": "string",
    "picklist": "string", "autonumber": "string", "bigint": "string", "date": "string", "datetime": "string",
    "profileimage": "string", "multiselectpicklist": "jsonarray", "subform": "jsonarray",
    "multiselectlookup": "jsonarray", "integer": "integer", "double": "double", "currency": "double",
    "percent": "double", "boolean": "boolean", "lookup": "jsonobject", "ownerlookup": "jsonobject",
    "userlookup": "jsonobject", "layout": "jsonobject", "linetax": "jsonarray", "pricing_details": "jsonarray",
    "territories": "jsonarray",
}
FORMULA_JSON = {"double": "double", "currency": "double", "text": "string", "boolean": "boolean", "date": "string",
                "datetime": "string"}
DEFAULT_LENGTH = {"text": 255, "textarea": 32000, "email": 100, "phone": 30, "website": 255, "picklist": 120,
                  "multiselectpicklist": 2000, "integer": 9, "bigint": 18, "double": 16, "currency": 16,
                  "percent": 5, "autonumber": 255, "datetime": 120, "date": 20, "boolean": 5}
DETAIL_ONLY_TYPES = frozenset({"subform", "multiselectlookup"})
"""Values returned only when a specific record is fetched (v7 Get Records doc)."""
TIME_FORMULA_GENS = frozenset({"formula_age"})
"""Generators of formula fields whose expression calls Now(): their value depends on when they were last evaluated
(at the record's last edit, or at its last ``recalculate_formulas``)."""


class RollupSpec(NamedTuple):
    """What a rollup summary field aggregates: ``function`` of ``field`` over the records of ``module`` whose lookup
    ``lookup_field`` points at the parent (the parent's related list ``related_list``)."""

    module: str
    lookup_field: str
    field: str
    function: str = "SUM"
    related_list: str = ""


@dataclass
class FieldDef:
    """One field of a module: metadata plus the name of its value generator."""

    api_name: str
    data_type: str
    gen: str = ""
    label: str = ""
    values: tuple[str, ...] = ()
    lookup: str | None = None
    subform: str | None = None
    return_type: str | None = None
    custom_field: bool = False
    read_only: bool = False
    system_mandatory: bool = False
    textarea: str | None = None
    prefix: str = ""
    linking: str | None = None
    decimal_place: int | None = None
    length: int | None = None
    source: Any = None
    cache: dict[int, Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    feature: str | None = None
    """Org feature the field exists with ("multi_currency", "territories"); absent when the feature is off."""
    tracked_by: str | None = None
    """Field-tracker module keeping this picklist's history (Deals.Stage → DealHistory)."""
    expression: str | None = None
    """Formula expression shown in the field metadata (``formula.expression``)."""
    rollup: RollupSpec | None = None
    """What a ``rollup_summary`` field aggregates."""
    late_id: bool = False
    """The field's metadata id is allocated after every id the org had before the field existed, so adding it to the
    schema shifted no existing id (field, user, role, profile, tag, … ids stay the same for a seed)."""

    @property
    def json_type(self) -> str:
        """Zoho json_type of the field (formula and rollup summary fields follow their return type)."""
        if self.api_name == "Tag":
            return "jsonarray"
        if self.data_type in ("formula", "rollup_summary"):
            return FORMULA_JSON.get(self.return_type or "text", "string")
        return JSON_TYPES.get(self.data_type, "string")

    @property
    def detail_only(self) -> bool:
        """True for subform / line-item / multi-select-lookup fields (never in list responses)."""
        return self.data_type in DETAIL_ONLY_TYPES


@dataclass
class ModuleDef:
    """One module of /settings/modules."""

    api_name: str
    module_name: str
    singular: str
    plural: str
    generated_type: str = "default"
    api_supported: bool = True
    kind: str = "data"
    """data (records), subform (rows of parents), linking (multi-select-lookup rows), tracker (field-tracker history
    rows, e.g. DealHistory), meta (no records)."""
    display_field: str = "Name"
    fields: list[FieldDef] = field(default_factory=list)
    parent: str | None = None
    """For subform/linking modules: the module whose records own the rows."""
    parent_field: str | None = None
    max_records: int | None = None
    scope: str = ""
    parent_module: str | None = None
    """'Activities' for Tasks/Events/Calls (modules API ``parent_module``)."""

    def field(self, api_name: str) -> FieldDef | None:
        """Field by API name, or None."""
        for f in self.fields:
            if f.api_name == api_name:
                return f
        return None


def F(api_name: str, data_type: str, gen: str = "", **kw: Any) -> FieldDef:
    """Shorthand constructor used by the field tables below."""
    return FieldDef(api_name=api_name, data_type=data_type, gen=gen, **kw)


def P(api_name: str, *values: str, **kw: Any) -> FieldDef:
    """Picklist field."""
    kw.setdefault("gen", "pick")
    return FieldDef(api_name=api_name, data_type="picklist", values=values, **kw)


def L(api_name: str, module: str, **kw: Any) -> FieldDef:
    """Lookup field pointing at ``module``."""
    kw.setdefault("gen", "lookup")
    return FieldDef(api_name=api_name, data_type="lookup", lookup=module, **kw)


def system_fields(layout: bool = True) -> list[FieldDef]:
    """Fields every standard module carries: owner, audit columns, layout, tags, record status, lock."""
    out = [
        F("Owner", "ownerlookup", "owner", label="Record Owner"),
        F("Created_By", "ownerlookup", "created_by", read_only=True),
        F("Modified_By", "ownerlookup", "modified_by", read_only=True),
        F("Created_Time", "datetime", "created_time", read_only=True),
        F("Modified_Time", "datetime", "modified_time", read_only=True),
        F("Last_Activity_Time", "datetime", "last_activity", read_only=True),
        F("Tag", "text", "tag", read_only=True),
        P("Record_Status__s", "Available", "Draft", read_only=True, gen="record_status", label="Record Status"),
        F("Locked__s", "boolean", "false", read_only=True, label="Locked"),
    ]
    if layout:
        out.append(F("Layout", "layout", "layout", read_only=True))
    return out


def address(prefix: str, zip_name: str = "Code") -> list[FieldDef]:
    """Street/City/State/Zip/Country fields with a common prefix (e.g. Billing_)."""
    return [F(f"{prefix}Street", "text", "street"), F(f"{prefix}City", "text", "city"),
            F(f"{prefix}State", "text", "state"), F(f"{prefix}{zip_name}", "text", "zip"),
            F(f"{prefix}Country", "text", "country")]


def currency_fields() -> list[FieldDef]:
    """Multi-currency fields of modules with amounts."""
    return [P("Currency", "INR", "USD", "EUR", gen="currency_code", feature="multi_currency"),
            F("Exchange_Rate", "double", "exchange_rate", decimal_place=9, read_only=True, feature="multi_currency")]


def territories(api_name: str = "Territories") -> FieldDef:
    """Territories a record belongs to (Accounts/Contacts ``Territories``, Deals ``Territory``, as in the SDK)."""
    return F(api_name, "territories", "territories", read_only=True, feature="territories")


def totals() -> list[FieldDef]:
    """Inventory totals (derived from the line items so that they add up)."""
    return [F("Sub_Total", "currency", "sub_total", read_only=True), F("Discount", "currency", "inv_discount"),
            F("Tax", "currency", "inv_tax", read_only=True), F("Adjustment", "currency", "adjustment"),
            F("Grand_Total", "currency", "grand_total", read_only=True),
            F("Terms_and_Conditions", "textarea", "sentence", textarea="large"),
            F("Description", "textarea", "paragraph", textarea="large")]


LEAD_SOURCES = ("Advertisement", "Cold Call", "Employee Referral", "External Referral", "Online Store",
                "Partner", "Public Relations", "Sales Email Alias", "Seminar Partner", "Web Download",
                "Web Research", "Chat")
INDUSTRIES = ("ASP (Application Service Provider)", "Data/Telecom OEM", "ERP (Enterprise Resource Planning)",
              "Government/Military", "Large Enterprise", "ManagementISV", "MSP (Management Service Provider)",
              "Network Equipment Enterprise", "Non-management ISV", "Optical Networking", "Service Provider",
              "Small/Medium Enterprise", "Storage Equipment", "Storage Service Provider", "Systems Integrator",
              "Wireless Industry")
RATINGS = ("Acquired", "Active", "Market Failed", "Project Cancelled", "Shut Down")
SALUTATIONS = ("Mr.", "Mrs.", "Ms.", "Dr.", "Prof.")
CARRIERS = ("FedEX", "UPS", "USPS", "DHL", "BlueDart")
ACTIVITY_TARGETS = ("Accounts", "Deals", "Leads")


def _leads() -> list[FieldDef]:
    return [
        P("Lead_Source", *LEAD_SOURCES), P("Salutation", *SALUTATIONS), F("First_Name", "text", "first_name"),
        F("Last_Name", "text", "last_name", system_mandatory=True), F("Full_Name", "text", "full_name", read_only=True),
        F("Company", "text", "company"), F("Designation", "text", "job_title", label="Title"),
        F("Email", "email", "email"), F("Secondary_Email", "email", "email2"), F("Phone", "phone", "phone"),
        F("Mobile", "phone", "phone"), F("Fax", "phone", "maybe_phone"), F("Website", "website", "website"),
        P("Lead_Status", "Attempted to Contact", "Contact in Future", "Contacted", "Junk Lead", "Lost Lead",
          "Not Contacted", "Pre-Qualified", "Not Qualified"),
        P("Industry", *INDUSTRIES), F("No_of_Employees", "integer", "employees"),
        F("Annual_Revenue", "currency", "revenue"), P("Rating", *RATINGS), F("Email_Opt_Out", "boolean", "bool"),
        F("Skype_ID", "text", "skype"), F("Twitter", "text", "twitter"), *address("", "Zip_Code"),
        F("Description", "textarea", "paragraph", textarea="large"),
        F("Converted__s", "boolean", "converted", read_only=True, label="Is Converted"),
        F("Converted_Date_Time", "datetime", "converted_time", read_only=True),
        P("Unsubscribed_Mode", "Consent form", "Manual", "Unsubscribe link", "Zoho Campaigns", gen="sparse_pick"),
        F("Unsubscribed_Time", "datetime", "sparse_datetime"),
        P("Enrich_Status__s", "Available", "Enriched", "Data not found", gen="sparse_pick", read_only=True),
        F("Last_Enriched_Time__s", "datetime", "sparse_datetime", read_only=True),
        F("Record_Image", "profileimage", "image"), *currency_fields(), *system_fields(),
        # custom fields: one of every remaining data type, so Leads also exceeds the 50-field cap of Get Records
        F("Legacy_Score", "integer", "null", custom_field=True),
        F("Preferred_Languages", "multiselectpicklist", "multipick", custom_field=True,
          values=("English", "German", "French", "Hindi", "Japanese", "Spanish")),
        F("Budget", "currency", "revenue", custom_field=True),
        P("Interest_Level", "Cold", "Warm", "Hot", custom_field=True),
        F("Next_Follow_Up", "date", "future_date", custom_field=True),
        F("Lead_Code", "autonumber", "autonumber", prefix="LD-", custom_field=True, read_only=True),
        F("Score_Ratio", "formula", "formula_double", return_type="double", custom_field=True, read_only=True,
          decimal_place=2, expression="Annual_Revenue/No_of_Employees"),
        F("Region_Label", "formula", "formula_text", return_type="text", custom_field=True, read_only=True,
          expression="Concat(${Leads.Country},' / ',${Leads.Rating})"),
        F("External_Ref", "bigint", "bigint", custom_field=True),
        F("Discount_Rate", "percent", "percent", custom_field=True),
        F("Is_Partner", "boolean", "bool", custom_field=True),
        F("Weighting", "double", "double", custom_field=True, decimal_place=2),
        F("Campaign_Notes", "textarea", "sentence", textarea="small", custom_field=True),
        F("Lead_Age_Days", "formula", "formula_age", return_type="double", custom_field=True, read_only=True,
          decimal_place=2, expression="Datecomp(Now(),${Leads.Created Time})/1440", late_id=True),
    ]


def _contacts() -> list[FieldDef]:
    return [
        P("Salutation", *SALUTATIONS), F("First_Name", "text", "first_name"),
        F("Last_Name", "text", "last_name", system_mandatory=True), F("Full_Name", "text", "full_name", read_only=True),
        L("Account_Name", "Accounts"), L("Vendor_Name", "Vendors", gen="sparse_lookup"),
        F("Email", "email", "email"), F("Secondary_Email", "email", "email2"), F("Phone", "phone", "phone"),
        F("Mobile", "phone", "phone"), F("Home_Phone", "phone", "maybe_phone"),
        F("Other_Phone", "phone", "maybe_phone"),
        F("Assistant", "text", "maybe_name"), F("Asst_Phone", "phone", "maybe_phone"), F("Fax", "phone", "maybe_phone"),
        F("Title", "text", "job_title"), F("Department", "text", "department"), P("Lead_Source", *LEAD_SOURCES),
        F("Date_of_Birth", "date", "birth_date"), L("Reporting_To", "Contacts", gen="sparse_lookup"),
        F("Email_Opt_Out", "boolean", "bool"), F("Skype_ID", "text", "skype"), F("Twitter", "text", "twitter"),
        *address("Mailing_", "Zip"), *address("Other_", "Zip"),
        F("Description", "textarea", "paragraph", textarea="large"), F("Record_Image", "profileimage", "image"),
        P("Unsubscribed_Mode", "Consent form", "Manual", "Unsubscribe link", "Zoho Campaigns", gen="sparse_pick"),
        F("Unsubscribed_Time", "datetime", "sparse_datetime"), territories(), *currency_fields(), *system_fields(),
    ]


def _accounts() -> list[FieldDef]:
    return [
        F("Account_Name", "text", "company", system_mandatory=True), F("Account_Number", "bigint", "bigint"),
        F("Account_Site", "text", "city"), L("Parent_Account", "Accounts", gen="sparse_lookup"),
        P("Account_Type", "Analyst", "Competitor", "Customer", "Distributor", "Integrator", "Investor", "Other",
          "Partner", "Press", "Prospect", "Reseller", "Supplier", "Vendor"),
        P("Industry", *INDUSTRIES), F("Annual_Revenue", "currency", "revenue"), F("Employees", "integer", "employees"),
        P("Ownership", "Other", "Private", "Public", "Subsidiary", "Partnership", "Government"),
        F("Phone", "phone", "phone"), F("Fax", "phone", "maybe_phone"), F("Website", "website", "website"),
        F("Ticker_Symbol", "text", "ticker"), P("Rating", *RATINGS), F("SIC_Code", "integer", "sic"),
        *address("Billing_"), *address("Shipping_"),
        # unicode on purpose: accents, CJK and emoji must survive every layer of a pipeline
        F("Description", "textarea", "unicode", textarea="large"),
        F("Subform_1", "subform", "subform", subform="Subform_1", custom_field=True, label="Skills"),
        F("Record_Image", "profileimage", "image"), territories(), *currency_fields(), *system_fields(),
        F("Total_Deal_Amount", "rollup_summary", "rollup", return_type="currency", custom_field=True, read_only=True,
          decimal_place=2, length=16, rollup=RollupSpec("Deals", "Account_Name", "Amount", "SUM", "Deals"),
          late_id=True),
    ]


def _deals() -> list[FieldDef]:
    return [
        F("Deal_Name", "text", "deal_name", system_mandatory=True), L("Account_Name", "Accounts"),
        L("Contact_Name", "Contacts", gen="sparse_lookup"), F("Amount", "currency", "amount"),
        F("Closing_Date", "date", "closing_date"),
        P("Stage", *STAGES, gen="deal_stage", system_mandatory=True, tracked_by="DealHistory"),
        P("Type", "Qualification", "Existing Business", "New Business"),
        F("Probability", "integer", "stage_probability", label="Probability (%)"),
        F("Expected_Revenue", "currency", "expected_revenue", read_only=True), F("Next_Step", "text", "sentence"),
        P("Lead_Source", *LEAD_SOURCES), L("Campaign_Source", "Campaigns", gen="sparse_lookup"),
        P("Pipeline", *(p.name for p in PIPELINES), gen="pipeline"),
        P("Reason_For_Loss__s", "Price", "Lack of Features", "Competition", "Timing", gen="loss_reason"),
        F("Overall_Sales_Duration", "integer", "small_int", read_only=True),
        F("Sales_Cycle_Duration", "integer", "small_int", read_only=True),
        F("Description", "textarea", "paragraph", textarea="large"),
        F("Associated_Contacts", "multiselectlookup", "msl", lookup="Contacts", linking="Contacts_X_Deals",
          custom_field=True),
        territories("Territory"), *currency_fields(), *system_fields(),
        F("Deal_Age_Days", "formula", "formula_age", return_type="double", custom_field=True, read_only=True,
          decimal_place=2, expression="Datecomp(Now(),${Deals.Created Time})/1440", late_id=True),
    ]


def _campaigns() -> list[FieldDef]:
    return [
        F("Campaign_Name", "text", "campaign_name", system_mandatory=True),
        P("Type", "Advertisement", "Banner Ads", "Conference", "Direct mail", "Email", "Others", "Partner",
          "Public Relations", "Referral Program", "Telemarketing", "Trade Show", "Webinar"),
        P("Status", "Active", "Complete", "Inactive", "Planning"), F("Start_Date", "date", "past_date"),
        F("End_Date", "date", "future_date"), F("Expected_Revenue", "currency", "revenue"),
        F("Budgeted_Cost", "currency", "amount"), F("Actual_Cost", "currency", "amount"),
        F("Expected_Response", "integer", "small_int"), F("Num_sent", "integer", "employees", label="Numbers sent"),
        L("Parent_Campaign", "Campaigns", gen="sparse_lookup"),
        F("Description", "textarea", "paragraph", textarea="large"), *currency_fields(), *system_fields(),
    ]


def _activity(title: str) -> list[FieldDef]:
    return [F(title, "text", "subject", system_mandatory=True),
            L("What_Id", "Accounts", gen="what_id", label="Related To"),
            L("Who_Id", "Contacts", gen="sparse_lookup", label="Contact Name"),
            F("Description", "textarea", "paragraph", textarea="large")]


def _tasks() -> list[FieldDef]:
    return [*_activity("Subject"), F("Due_Date", "date", "future_date"),
            P("Status", "Not Started", "Deferred", "In Progress", "Completed", "Waiting for input"),
            P("Priority", "High", "Highest", "Low", "Lowest", "Normal"),
            F("Send_Notification_Email", "boolean", "bool"), F("Closed_Time", "datetime", "task_closed"),
            *system_fields()]


def _events() -> list[FieldDef]:
    return [*_activity("Event_Title"), F("Start_DateTime", "datetime", "event_start", system_mandatory=True),
            F("End_DateTime", "datetime", "event_end"), F("All_day", "boolean", "bool"), F("Venue", "text", "city"),
            F("Check_In_Time", "datetime", "check_in"), *system_fields()]


def _calls() -> list[FieldDef]:
    return [*_activity("Subject"), P("Call_Type", "Outbound", "Inbound", "Missed"),
            P("Call_Purpose", "Prospecting", "Administrative", "Negotiation", "Demo", "Project", "Desk"),
            F("Call_Start_Time", "datetime", "call_start"), F("Call_Duration", "text", "call_duration"),
            F("Call_Duration_in_seconds", "integer", "call_seconds", read_only=True),
            P("Call_Result", "Interested", "Not interested", "No response/Busy", "Requested more info",
              "Requested call back", "Invalid number"),
            F("Call_Agenda", "text", "sentence"),
            P("Outgoing_Call_Status", "Scheduled", "Completed", "Overdue", "Cancelled"), *system_fields()]


def _cases() -> list[FieldDef]:
    return [F("Case_Number", "autonumber", "autonumber", prefix="", read_only=True),
            F("Subject", "text", "subject", system_mandatory=True),
            P("Status", "New", "On Hold", "Escalated", "Closed", system_mandatory=True),
            P("Priority", "High", "Medium", "Low"), P("Case_Origin", "Email", "Phone", "Web", system_mandatory=True),
            P("Type", "Question", "Problem", "Feature Request"),
            P("Case_Reason", "User did not attend any training", "Complex functionality", "Existing problem",
              "Instructions not clear", "New problem"),
            L("Product_Name", "Products", gen="sparse_lookup"), L("Account_Name", "Accounts", gen="sparse_lookup"),
            L("Related_To", "Contacts", gen="sparse_lookup"), L("Deal_Name", "Deals", gen="sparse_lookup"),
            F("Email", "email", "email"), F("Phone", "phone", "phone"), F("Reported_By", "text", "full_name"),
            F("No_of_comments", "integer", "small_int", read_only=True),
            F("Description", "textarea", "paragraph", textarea="large"),
            F("Internal_Comments", "textarea", "sentence", textarea="large"),
            F("Solution", "textarea", "sentence", textarea="large"), *system_fields()]


def _solutions() -> list[FieldDef]:
    return [F("Solution_Number", "autonumber", "autonumber", prefix="SOL-", read_only=True),
            F("Solution_Title", "text", "subject", system_mandatory=True),
            P("Status", "Draft", "Reviewed", "Published"), L("Product_Name", "Products", gen="sparse_lookup"),
            F("Question", "textarea", "paragraph", textarea="large"),
            # rich text: cut to 500 characters in list responses, full on detail
            F("Answer", "textarea", "rich_text", textarea="rich_text"),
            # long plain text (several thousand characters) is never truncated
            F("Comments", "textarea", "long_text", textarea="large"),
            F("No_of_comments", "integer", "small_int", read_only=True), F("Published", "boolean", "bool"),
            *system_fields()]


def _products() -> list[FieldDef]:
    return [F("Product_Name", "text", "product_name", system_mandatory=True), F("Product_Code", "text", "product_code"),
            P("Product_Category", "Hardware", "Software", "CRM Applications"),
            P("Manufacturer", "AltvetPet Inc.", "LexPon Inc.", "MetBeat Corp."), L("Vendor_Name", "Vendors"),
            F("Product_Active", "boolean", "bool"), F("Unit_Price", "currency", "price"),
            F("Commission_Rate", "currency", "small_money"),
            F("Tax", "multiselectpicklist", "multipick", values=("Sales Tax", "Vat", "GST")),
            F("Taxable", "boolean", "bool"), P("Usage_Unit", "Box", "Carton", "Dozen", "Each", "Hours", "Pieces"),
            F("Qty_Ordered", "double", "qty"), F("Qty_in_Stock", "double", "qty"), F("Reorder_Level", "double", "qty"),
            F("Qty_in_Demand", "double", "qty"), F("Sales_Start_Date", "date", "past_date"),
            F("Sales_End_Date", "date", "future_date"), F("Support_Start_Date", "date", "past_date"),
            F("Support_Expiry_Date", "date", "future_date"), F("Handler", "userlookup", "user"),
            F("Description", "textarea", "paragraph", textarea="large"), F("Record_Image", "profileimage", "image"),
            *currency_fields(), *system_fields()]


def _vendors() -> list[FieldDef]:
    return [F("Vendor_Name", "text", "company", system_mandatory=True), F("Email", "email", "email"),
            F("Phone", "phone", "phone"), F("Website", "website", "website"),
            P("GL_Account", "Sales-Hardware", "Sales-Software", "Rental-Income", "Interest-Income"),
            F("Category", "text", "department"), *address("", "Zip_Code"),
            F("Description", "textarea", "paragraph", textarea="large"), F("Record_Image", "profileimage", "image"),
            *currency_fields(), *system_fields()]


def _price_books() -> list[FieldDef]:
    return [F("Price_Book_Name", "text", "price_book_name", system_mandatory=True), F("Active", "boolean", "bool"),
            P("Pricing_Model", "Flat", "Differential"),
            F("Pricing_Details", "pricing_details", "pricing_details", label="Pricing Details"),
            F("Description", "textarea", "paragraph", textarea="large"), *currency_fields(), *system_fields()]


def _inventory(items_field: str, items_module: str, extra: list[FieldDef]) -> list[FieldDef]:
    return [F("Subject", "text", "subject", system_mandatory=True), *extra, *address("Billing_"),
            *address("Shipping_"), P("Carrier", *CARRIERS),
            F(items_field, "subform", "line_items", subform=items_module, system_mandatory=True),
            *totals(), *currency_fields(), *system_fields()]


def _quotes() -> list[FieldDef]:
    return _inventory("Quoted_Items", "Quoted_Items", [
        P("Quote_Stage", "Draft", "Negotiation", "Delivered", "On Hold", "Confirmed", "Closed Won", "Closed Lost"),
        F("Valid_Till", "date", "future_date"), L("Deal_Name", "Deals", gen="sparse_lookup"),
        L("Contact_Name", "Contacts", gen="sparse_lookup"), L("Account_Name", "Accounts"),
        F("Team", "text", "department")])


def _sales_orders() -> list[FieldDef]:
    return _inventory("Ordered_Items", "Ordered_Items", [
        F("SO_Number", "autonumber", "autonumber", prefix="SO-", read_only=True), F("Customer_No", "text", "ticker"),
        L("Quote_Name", "Quotes", gen="sparse_lookup"), L("Deal_Name", "Deals", gen="sparse_lookup"),
        F("Purchase_Order", "text", "ticker"), F("Due_Date", "date", "future_date"),
        L("Contact_Name", "Contacts", gen="sparse_lookup"), L("Account_Name", "Accounts"),
        F("Excise_Duty", "currency", "small_money"), F("Sales_Commission", "currency", "small_money"),
        P("Status", "Created", "Approved", "Delivered", "Cancelled")])


def _purchase_orders() -> list[FieldDef]:
    return _inventory("Purchased_Items", "Purchase_Items", [
        F("PO_Number", "autonumber", "autonumber", prefix="PO-", read_only=True), F("PO_Date", "date", "past_date"),
        L("Vendor_Name", "Vendors", system_mandatory=True), L("Contact_Name", "Contacts", gen="sparse_lookup"),
        F("Requisition_No", "text", "ticker"), F("Tracking_Number", "text", "ticker"),
        F("Due_Date", "date", "future_date"), F("Excise_Duty", "currency", "small_money"),
        F("Sales_Commission", "currency", "small_money"),
        P("Status", "Created", "Approved", "Delivered", "Cancelled")])


def _invoices() -> list[FieldDef]:
    return _inventory("Invoiced_Items", "Invoiced_Items", [
        F("Invoice_Number", "autonumber", "autonumber", prefix="INV-", read_only=True),
        F("Invoice_Date", "date", "past_date"), F("Due_Date", "date", "future_date"),
        L("Sales_Order", "Sales_Orders", gen="sparse_lookup"), L("Deal_Name", "Deals", gen="sparse_lookup"),
        L("Contact_Name", "Contacts", gen="sparse_lookup"), L("Account_Name", "Accounts"),
        F("Purchase_Order", "text", "ticker"), F("Excise_Duty", "currency", "small_money"),
        F("Sales_Commission", "currency", "small_money"),
        P("Status", "Created", "Approved", "Delivered", "Cancelled")])


def _vehicles() -> list[FieldDef]:
    return [F("Name", "text", "vehicle_name", system_mandatory=True, label="Vehicle Name"),
            F("VIN", "text", "vin", custom_field=True),
            P("Make", "Tata", "Mahindra", "Toyota", "Ford", custom_field=True),
            F("Model_Year", "integer", "year", custom_field=True),
            F("Mileage", "double", "double", custom_field=True, decimal_place=2),
            F("Purchase_Date", "date", "past_date", custom_field=True),
            F("Price", "currency", "price", custom_field=True),
            L("Account", "Accounts", custom_field=True), F("Email", "email", "email"), *currency_fields(),
            *system_fields()]


def _notes() -> list[FieldDef]:
    return [F("Note_Title", "text", "subject"), F("Note_Content", "textarea", "paragraph", textarea="large"),
            L("Parent_Id", "Accounts", gen="what_id", label="Parent ID"),
            *[f for f in system_fields(layout=False) if f.api_name not in ("Last_Activity_Time", "Layout")]]


def _line_items(parent: str) -> list[FieldDef]:
    return [L("Product_Name", "Products", gen="row"), F("Product_Description", "textarea", "row", textarea="small"),
            F("Quantity", "double", "row"), F("List_Price", "currency", "row"), F("Unit_Price", "currency", "row"),
            F("Discount", "currency", "row"), F("Total", "currency", "row"),
            F("Total_After_Discount", "currency", "row"), F("Tax", "currency", "row"),
            F("Net_Total", "currency", "row"), F("Line_Tax", "linetax", "row"),
            L("Price_Book_Name", "Price_Books", gen="row"), F("Sequence_Number", "integer", "row"),
            L("Parent_Id", parent, gen="row"), F("Created_Time", "datetime", "row"),
            F("Modified_Time", "datetime", "row"), F("Created_By", "ownerlookup", "row"),
            F("Modified_By", "ownerlookup", "row")]


def _subform_1() -> list[FieldDef]:
    return [P("Proficiency", "Beginner", "Intermediate", "Expert", gen="row", custom_field=True),
            F("Skill", "text", "row", custom_field=True), F("Years", "integer", "row", custom_field=True),
            L("Parent_Id", "Accounts", gen="row"), F("Created_Time", "datetime", "row"),
            F("Modified_Time", "datetime", "row"), F("Layout", "layout", "row")]


def _deal_history() -> list[FieldDef]:
    """DealHistory (field tracker of Deals.Stage): field names are UNCONFIRMED, modelled on Zoho's Stage History."""
    return [L("Deal_Name", "Deals", gen="hist_deal", read_only=True, label="Deal Name"),
            P("Stage", *STAGES, gen="hist", read_only=True),
            F("Amount", "currency", "hist", read_only=True),
            F("Probability", "integer", "hist", read_only=True, label="Probability (%)"),
            F("Expected_Revenue", "currency", "hist", read_only=True),
            F("Closing_Date", "date", "hist", read_only=True),
            F("Duration", "integer", "hist", read_only=True, label="Stage Duration (Calendar Days)"),
            P("Moved_To", *STAGES, gen="hist", read_only=True, label="Moved To"),
            F("Created_By", "ownerlookup", "created_by", read_only=True),
            F("Modified_By", "ownerlookup", "modified_by", read_only=True),
            F("Created_Time", "datetime", "created_time", read_only=True),
            F("Modified_Time", "datetime", "modified_time", read_only=True)]


def _linking() -> list[FieldDef]:
    return [L("Contacts", "Contacts", gen="row"), L("Deals", "Deals", gen="row"), F("Owner", "ownerlookup", "row"),
            F("Created_Time", "datetime", "row"), F("Modified_Time", "datetime", "row"),
            F("Created_By", "ownerlookup", "row"), F("Modified_By", "ownerlookup", "row")]


def standard_modules() -> list[ModuleDef]:
    """Fresh module definitions of the emulated org, in /settings/modules order."""
    M = ModuleDef
    mods = [
        M("Leads", "Leads", "Lead", "Leads", display_field="Full_Name", fields=_leads()),
        M("Contacts", "Contacts", "Contact", "Contacts", display_field="Full_Name", fields=_contacts()),
        M("Accounts", "Accounts", "Account", "Accounts", display_field="Account_Name", fields=_accounts()),
        M("Deals", "Deals", "Deal", "Deals", display_field="Deal_Name", fields=_deals()),
        M("Campaigns", "Campaigns", "Campaign", "Campaigns", display_field="Campaign_Name", fields=_campaigns()),
        M("Tasks", "Tasks", "Task", "Tasks", display_field="Subject", fields=_tasks(), parent_module="Activities"),
        M("Events", "Meetings", "Meeting", "Meetings", display_field="Event_Title", fields=_events(),
          parent_module="Activities"),
        M("Calls", "Calls", "Call", "Calls", display_field="Subject", fields=_calls(), parent_module="Activities"),
        M("Cases", "Cases", "Case", "Cases", display_field="Subject", fields=_cases()),
        M("Solutions", "Solutions", "Solution", "Solutions", display_field="Solution_Title", fields=_solutions()),
        M("Products", "Products", "Product", "Products", display_field="Product_Name", fields=_products()),
        M("Vendors", "Vendors", "Vendor", "Vendors", display_field="Vendor_Name", fields=_vendors()),
        M("Price_Books", "PriceBooks", "Price Book", "Price Books", display_field="Price_Book_Name",
          fields=_price_books()),
        M("Quotes", "Quotes", "Quote", "Quotes", display_field="Subject", fields=_quotes()),
        M("Sales_Orders", "SalesOrders", "Sales Order", "Sales Orders", display_field="Subject",
          fields=_sales_orders()),
        M("Purchase_Orders", "PurchaseOrders", "Purchase Order", "Purchase Orders", display_field="Subject",
          fields=_purchase_orders()),
        M("Invoices", "Invoices", "Invoice", "Invoices", display_field="Subject", fields=_invoices()),
        M("Vehicles", "CustomModule1", "Vehicle", "Vehicles", generated_type="custom", display_field="Name",
          fields=_vehicles(), max_records=7),
        M("Notes", "Notes", "Note", "Notes", display_field="Note_Title", fields=_notes(), max_records=10),
        M("Quoted_Items", "Quoted_Items", "Quoted Item", "Quoted Items", generated_type="subform", kind="subform",
          fields=_line_items("Quotes"), parent="Quotes", parent_field="Quoted_Items", display_field="id"),
        M("Ordered_Items", "Ordered_Items", "Ordered Item", "Ordered Items", generated_type="subform",
          kind="subform", fields=_line_items("Sales_Orders"), parent="Sales_Orders", parent_field="Ordered_Items",
          display_field="id"),
        M("Purchase_Items", "Purchase_Items", "Purchase Item", "Purchase Items", generated_type="subform",
          kind="subform", fields=_line_items("Purchase_Orders"), parent="Purchase_Orders",
          parent_field="Purchased_Items", display_field="id"),
        M("Invoiced_Items", "Invoiced_Items", "Invoiced Item", "Invoiced Items", generated_type="subform",
          kind="subform", fields=_line_items("Invoices"), parent="Invoices", parent_field="Invoiced_Items",
          display_field="id"),
        M("Subform_1", "Subform_1", "Skill", "Skills", generated_type="subform", kind="subform",
          fields=_subform_1(), parent="Accounts", parent_field="Subform_1", display_field="id"),
        M("Contacts_X_Deals", "Contacts_X_Deals", "Contacts X Deals", "Contacts X Deals", generated_type="linking",
          kind="linking", fields=_linking(), parent="Deals", parent_field="Associated_Contacts", display_field="id"),
        M("DealHistory", "DealHistory", "Stage History", "Stage History", generated_type="field_tracker",
          kind="tracker", fields=_deal_history(), parent="Deals", parent_field="Stage", display_field="Stage"),
    ]
    for name, label in (("Home", "Home"), ("Reports", "Reports"), ("Analytics", "Analytics"), ("Feeds", "Feeds"),
                        ("Documents", "Documents"), ("Forecasts", "Forecasts"), ("Activities", "Activities"),
                        ("SalesInbox", "SalesInbox"), ("Projects", "Projects")):
        mods.append(M(name, name, label, label, api_supported=False, kind="meta",
                      generated_type="web" if name == "Projects" else "default"))
    for m in mods:
        m.scope = "custom" if m.generated_type == "custom" else m.api_name.lower().replace("_", "")
    mods[[m.api_name for m in mods].index("DealHistory")].scope = "deals"  # history is read with the deals scope
    return mods


TIME_ZONES = {"+05:30": "Asia/Kolkata", "+00:00": "Etc/UTC", "-11:00": "Pacific/Pago_Pago", "+01:00": "Europe/Berlin",
              "-05:00": "America/New_York", "-08:00": "America/Los_Angeles", "+09:00": "Asia/Tokyo",
              "+10:00": "Australia/Brisbane", "+04:00": "Asia/Dubai"}
