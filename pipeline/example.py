"""The shipped example: Acme Logistics Ltd's H2 2026 management review (fictional).

Deterministic: the same code writes the same bytes, so ``examples/acme/`` is checked against it
by the tests. It carries deliberate problems a reviewer must see: an overdue action, an action
carried forward twice, a risk above appetite without an accepted or running treatment, a major
nonconformity past its due date, a risk scored higher after controls than before (R-007), a risk
described twice (R-119 repeats R-107), and (in the final workbook) a "decision" that only notes.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

from fpdf import FPDF

from .files import atomic_write_bytes
from .workbook.template import build_workbook, workbook_bytes

D = dt.date
STAMP = dt.datetime(2026, 11, 13, 17, 0)

REVIEW: dict[str, Any] = {
    "Organisation": "Acme Logistics Ltd",
    "ISMS scope": "Design, operation and support of Acme's freight-tracking SaaS platform and "
    "the supporting corporate IT, from the London and Leeds offices and AWS eu-west-2.",
    "Review ID": "MR-2026-H2",
    "Period start": D(2026, 5, 1),
    "Period end": D(2026, 10, 31),
    "Data cut-off": D(2026, 11, 13),
    "Meeting date": D(2026, 11, 26),
    "Meeting time": dt.time(10, 0),
    "Time zone": "Europe/London",
    "Location": "Board room, 5th floor, London office; Teams link in the invitation",
    "Chair": "Helen Carter",
    "Document owner": "Priya Natarajan",
    "Classification": "Internal",
    "Version": "1.0",
    "Pre-read lead (business days)": 5,
    "Holiday calendar": "GB-ENG",
    "Currency": "GBP",
    "Risk appetite rule": "Set per risk by the ISMS committee on the risk owner's proposal: 4 for "
    "legal and regulatory exposure, 6 for data-leak and device risks, 8 to 10 for operational and "
    "cyber risks, 12 for low-impact site risks.",
    "Next review date": D(2027, 6, 10),
}

PEOPLE = {
    "ceo": ("Helen Carter", "Chief Executive Officer", True),
    "cfo": ("Marcus Obi", "Chief Financial Officer", True),
    "coo": ("Sofia Lindqvist", "Chief Operating Officer", True),
    "cto": ("Daniel Reyes", "Chief Technology Officer", True),
    "ciso": ("Priya Natarajan", "Head of Information Security (ISMS manager)", False),
    "hr": ("Tom Becker", "Head of People", False),
    "dpo": ("Amara Okafor", "Data Protection Officer", False),
    "it": ("Liam Walsh", "IT Operations Manager", False),
    "soc": ("Grace Kim", "Security Operations Lead", False),
    "legal": ("Rachel Moore", "General Counsel", False),
}


def _p(key: str) -> str:
    return PEOPLE[key][0]


def attendees(final: bool) -> list[dict[str, Any]]:
    attendance = {"legal": "Apologies", "hr": "Apologies"}
    rows = []
    for key in ("ceo", "cfo", "coo", "cto", "ciso", "hr", "dpo", "it", "legal"):
        name, role, top = PEOPLE[key]
        rows.append({
            "Name": name, "Role": role, "Email": name.lower().replace(" ", ".") + "@acme.example",
            "Top management": top,
            "Attendance": attendance.get(key, "Present") if final else "Invited",
        })
    return rows


ACTIONS = [
    ("ACT-2025-07", "Roll out phishing-resistant MFA to all administrators", "MR-2025-H2", "it", D(2026, 3, 31), "Done", D(2026, 3, 20), 0, "EV-A01", ""),
    ("ACT-2025-08", "Replace the unsupported file server in Leeds", "MR-2025-H2", "it", D(2026, 9, 30), "In progress", None, 2, "", "Supplier delays twice; hardware now delivered, migration planned."),
    ("ACT-2025-09", "Approve and publish the revised access control policy", "MR-2025-H2", "ciso", D(2026, 2, 28), "Done", D(2026, 3, 5), 0, "EV-A01", "Published five days late after legal review."),
    ("ACT-2025-10", "Run a tabletop exercise for ransomware recovery", "MR-2025-H2", "coo", D(2026, 6, 30), "Done", D(2026, 6, 18), 0, "EV-A01", ""),
    ("ACT-2025-11", "Define metrics for supplier security reviews", "MR-2025-H2", "ciso", D(2026, 4, 30), "Cancelled", None, 0, "", "Superseded by ACT-2026-05."),
    ("ACT-2026-01", "Complete data-flow mapping for the customer analytics product", "MR-2026-H1", "dpo", D(2026, 8, 31), "Open", None, 1, "", "Not started: DPO on leave in July."),
    ("ACT-2026-02", "Automate leaver access removal from HR system to Entra ID", "MR-2026-H1", "hr", D(2026, 10, 15), "Done", D(2026, 10, 10), 0, "EV-A01", ""),
    ("ACT-2026-03", "Fund a second SOC analyst for out-of-hours cover", "MR-2026-H1", "cfo", D(2026, 7, 31), "Done", D(2026, 7, 28), 0, "EV-A01", "Hired; starts 1 September."),
    ("ACT-2026-04", "Patch backlog: remediate all critical vulnerabilities older than 30 days", "MR-2026-H1", "it", D(2026, 9, 30), "In progress", None, 0, "", "62 % done at cut-off."),
    ("ACT-2026-05", "Introduce security questionnaire for new suppliers", "MR-2026-H1", "legal", D(2026, 11, 30), "In progress", None, 0, "", ""),
    ("ACT-2026-06", "Review the ISMS scope after the Leeds warehouse acquisition", "MR-2026-H1", "ciso", D(2026, 6, 30), "Done", D(2026, 6, 30), 0, "EV-A01", ""),
    ("ACT-2026-07", "Encrypt backups held at the secondary site", "MR-2026-H1", "it", D(2026, 8, 31), "Done", D(2026, 9, 12), 0, "EV-A01", "Completed twelve days late."),
    ("ACT-2026-08", "Deliver secure-coding training to all developers", "MR-2026-H1", "cto", D(2026, 10, 31), "Done", D(2026, 10, 24), 0, "EV-A01", ""),
    ("ACT-2026-09", "Agree RTO/RPO for the tracking platform with customers", "MR-2026-H1", "coo", D(2026, 12, 31), "Open", None, 0, "", ""),
]

CONTEXT = [
    ("CTX-01", "External", "Regulatory", "NIS2 transposed into national law; Acme classed as an important entity (transport).", "Management body accountability, 24 h incident reporting; scope unchanged, new controls for reporting.", D(2026, 6, 2), "legal"),
    ("CTX-02", "External", "Threat landscape", "Sharp rise in QR-code phishing aimed at logistics firms.", "Awareness module updated; mail filtering rule added.", D(2026, 7, 14), "soc"),
    ("CTX-03", "Internal", "Organisation", "Acquisition of the Leeds warehouse operation (120 staff).", "Scope extended to Leeds; 14 new risks assessed.", D(2026, 5, 20), "coo"),
    ("CTX-04", "External", "Supplier", "Main cloud provider announced end of support for the current database engine in 2027.", "Migration project needed; risk R-014 raised.", D(2026, 9, 3), "cto"),
    ("CTX-05", "External", "Climate change", "Flood risk reassessed for the Leeds site by the insurer.", "Business continuity plan for Leeds to be reviewed; no change to scope.", D(2026, 10, 1), "coo"),
    ("CTX-06", "Internal", "Technology", "Move from on-premises Exchange to Microsoft 365 completed.", "Controls for mail retention and DLP updated.", D(2026, 8, 22), "it"),
    ("CTX-07", "External", "Market", "Two enterprise customers now require ISO 27001 certificates from all carriers.", "", D(2026, 10, 20), "coo"),
]

PARTIES = [
    ("IP-01", "Enterprise customers", "Annual evidence of penetration testing and SOC 2 report on request.", "Customer contracts renewed 2026", "Annual external pen test scheduled; SOC 2 readiness assessment proposed (OFI-03).", "cto"),
    ("IP-02", "National regulator (NIS2)", "Registration and incident reporting within 24 hours.", "NIS2 national law", "Registration done; incident procedure updated.", "legal"),
    ("IP-03", "Staff", "Clearer rules for using generative AI tools.", "Staff survey Sept 2026", "Acceptable-use policy addendum drafted.", "hr"),
    ("IP-04", "Insurer", "MFA on all remote access as a condition of cyber cover.", "Policy renewal Aug 2026", "Already in place; evidence sent.", "cfo"),
    ("IP-05", "Key supplier (WMS vendor)", "Requires named security contacts and 48 h breach notification from us.", "Contract amendment", "", "legal"),
]

NCS = [
    ("NC-2026-01", "Internal audit", "Minor", "Two leavers kept VPN access beyond 24 hours.", D(2026, 5, 12), "Manual leaver process.", "Automated leaver flow (ACT-2026-02).", "hr", D(2026, 10, 15), "Closed", D(2026, 10, 12), True),
    ("NC-2026-02", "External audit", "Major", "Backups of the tracking database not tested for restore in 12 months.", D(2026, 6, 24), "No owner for restore testing after staff change.", "Quarterly restore tests with evidence; owner named.", "it", D(2026, 9, 30), "In progress", None, None),
    ("NC-2026-03", "Incident", "Minor", "Customer data emailed to the wrong recipient.", D(2026, 7, 3), "Auto-complete of addresses.", "DLP warning for external recipients.", "dpo", D(2026, 8, 31), "Closed", D(2026, 8, 20), True),
    ("NC-2026-04", "Internal audit", "Observation", "Asset inventory missing 6 Leeds laptops.", D(2026, 7, 21), "Acquired assets not yet onboarded.", "Onboard Leeds assets into MDM.", "it", D(2026, 9, 15), "Closed", D(2026, 9, 10), False),
    ("NC-2026-05", "Self-identified", "Minor", "Firewall rule reviews skipped in Q2.", D(2026, 8, 4), "Reviewer on leave, no deputy.", "Deputy assigned; review calendar.", "soc", D(2026, 10, 31), "Closed", D(2026, 10, 2), False),
    ("NC-2026-06", "Internal audit", "Minor", "Supplier risk assessments missing for 3 new suppliers.", D(2026, 9, 18), "Procurement bypassed the security review.", "Security step added to purchase workflow (ACT-2026-05).", "legal", D(2026, 12, 15), "Open", None, None),
    ("NC-2026-07", "Customer", "Minor", "Customer questionnaire answered with outdated encryption details.", D(2026, 10, 6), "No owner for questionnaire answers library.", "Answer library owned by security team.", "ciso", D(2026, 11, 30), "In progress", None, None),
    ("NC-2025-11", "External audit", "Minor", "Risk treatment plan not approved by risk owners.", D(2025, 11, 20), "Approval step undefined.", "Sign-off added to risk workflow.", "ciso", D(2026, 2, 28), "Closed", D(2026, 2, 10), True),
]

METRICS = [
    # id, name, unit, better, target, source, owner, values May..Oct
    ("M-01", "MTTR for P1 incidents", "hours", "Lower", 4, "ServiceNow", "soc", [5.5, 4.8, 4.2, 3.9, 3.6, 3.8]),
    ("M-02", "Critical vulnerabilities remediated within 7 days", "%", "Higher", 95, "Qualys", "it", [88, 91, 86, 84, 80, 78]),
    ("M-03", "Leaver access removed within 24 hours", "%", "Higher", 100, "Entra ID audit log", "hr", [92, 94, 95, 97, 100, 100]),
    ("M-04", "Security awareness completion within 30 days of hire", "%", "Higher", 100, "LMS", "hr", [97, 98, 96, 99, 98, 99]),
    ("M-05", "Phishing simulation click rate", "%", "Lower", 5, "Phishing platform", "soc", [9.1, 8.4, 7.9, 6.2, 5.8, 4.9]),
    ("M-06", "Risks above appetite with no treatment or acceptance", "count", "Lower", 0, "Risk register", "ciso", [3, 3, 2, 2, 1, 1]),
    ("M-07", "Actions completed by their due date", "%", "Higher", 90, "Action tracker", "ciso", [80, 75, 82, 78, 70, 74]),
    ("M-08", "Policy acknowledgement rate", "%", "Higher", 98, "HR portal", "hr", [95, 96, 96, None, 97, 98]),
]
MONTHS = ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]

AUDITS = [
    ("IA-2026-01", "Internal", "Access management and HR security (A.5.15–5.18, A.6)", D(2026, 5, 8), "Internal audit team", 0, 1, 2, 1, "Closed", "EV-D3-01"),
    ("EX-2026-01", "Surveillance", "Full ISMS, year-1 surveillance", D(2026, 6, 24), "CertifyCo Ltd", 1, 0, 3, 4, "Report issued", "EV-D3-02"),
    ("IA-2026-02", "Internal", "Operations security and asset management (A.8.1, A.8.8, A.5.9)", D(2026, 7, 21), "Internal audit team", 0, 0, 1, 2, "Closed", "EV-D3-01"),
    ("SA-2026-01", "Supplier", "WMS vendor security controls", D(2026, 8, 28), "Rachel Moore", 0, 1, 1, 0, "Closed", ""),
    ("IA-2026-03", "Internal", "Supplier relationships (A.5.19–5.22)", D(2026, 9, 18), "Internal audit team", 0, 1, 0, 1, "Report issued", "EV-D3-01"),
    ("IA-2026-04", "Internal", "Business continuity (A.5.29–5.30)", D(2026, 11, 10), "Internal audit team", 0, 0, 0, 0, "In progress", ""),
]

OBJECTIVES = [
    ("OBJ-01", "Resolve P1 incidents within 4 hours on average", "M-01", "< 4 hours", D(2026, 12, 31), 0.9, "On track", "soc"),
    ("OBJ-02", "Remediate 95 % of critical vulnerabilities within 7 days", "M-02", "≥ 95 %", D(2026, 12, 31), 0.55, "Off track", "it"),
    ("OBJ-03", "Remove leaver access within 24 hours, every time", "M-03", "100 %", D(2026, 12, 31), 1.0, "Achieved", "hr"),
    ("OBJ-04", "Bring phishing click rate below 5 %", "M-05", "< 5 %", D(2027, 3, 31), 0.8, "On track", "soc"),
    ("OBJ-05", "Achieve SOC 2 Type I readiness", None, "Readiness report with no critical gaps", D(2027, 6, 30), 0.2, "At risk", "cto"),
]

FEEDBACK = [
    ("FB-01", D(2026, 5, 15), "Customer", "Northern Freight plc", "Evidence requests", "Asked for the latest pen-test summary before renewal.", "Medium", "Summary shared under NDA."),
    ("FB-02", D(2026, 6, 3), "Employee", "Staff survey", "Generative AI", "Unclear which AI tools are allowed.", "Medium", "AI addendum drafted (IP-03)."),
    ("FB-03", D(2026, 6, 24), "Auditor", "CertifyCo Ltd", "Backup and restore", "Praised incident management; major NC on restore testing.", "High", "Corrective action NC-2026-02."),
    ("FB-04", D(2026, 7, 9), "Customer", "BlueLine Retail", "Evidence requests", "Security questionnaire turnaround too slow (15 days).", "Medium", "Answer library being built (NC-2026-07)."),
    ("FB-05", D(2026, 8, 12), "Regulator", "National cyber agency", "Incident reporting", "Reminder of NIS2 registration deadline.", "High", "Registered 20 Aug."),
    ("FB-06", D(2026, 9, 1), "Supplier", "WMS vendor", "Contract terms", "Requests named security contacts.", "Low", "Contacts provided."),
    ("FB-07", D(2026, 9, 22), "Customer", "Northern Freight plc", "Evidence requests", "Wants ISO certificate scope to name the Leeds site.", "High", "Scope extension at next surveillance audit."),
    ("FB-08", D(2026, 10, 14), "Employee", "IT helpdesk tickets", "Access management", "MFA prompts too frequent for warehouse scanners.", "Low", "Conditional access tuned for managed devices."),
    ("FB-09", D(2026, 10, 30), "Partner", "Freight exchange", "Access management", "API key rotation every 30 days is a burden.", "Low", ""),
]

RISKS = [
    ("R-001", "Ransomware encrypts the tracking platform", "cto", 4, 5, 2, 5, 10, "Modify", "In progress", D(2027, 3, 31), "No", D(2024, 2, 1)),
    ("R-004", "Phishing leads to account takeover of finance staff", "cfo", 4, 4, 3, 3, 9, "Modify", "In progress", D(2026, 12, 31), "No", D(2024, 2, 1)),
    ("R-007", "Unsupported Leeds file server compromised", "it", 3, 4, 4, 4, 8, "Modify", "Not started", D(2026, 9, 30), "Yes", D(2025, 5, 10)),
    ("R-009", "Backups cannot be restored within the RTO", "it", 3, 5, 3, 4, 8, "Modify", "In progress", D(2026, 12, 31), "No", D(2025, 5, 10)),
    ("R-011", "Supplier breach exposes customer shipment data", "legal", 3, 4, 3, 4, 8, "Share", "Not started", D(2027, 1, 31), "Yes", D(2025, 11, 5)),
    ("R-012", "Insider copies customer lists before leaving", "hr", 2, 4, 1, 4, 8, "Modify", "Implemented", D(2026, 10, 15), "No", D(2025, 11, 5)),
    ("R-014", "Database engine end of support leaves unpatched flaws", "cto", 3, 4, 3, 3, 8, "Modify", "Not started", D(2027, 6, 30), "No", D(2026, 9, 3)),
    ("R-015", "Leeds warehouse flood disrupts operations", "coo", 2, 4, 2, 4, 8, "Accept", "Accepted", None, "No", D(2026, 10, 1)),
    ("R-016", "Generative AI tools leak confidential data", "ciso", 3, 3, 3, 3, 6, "Modify", "In progress", D(2026, 12, 31), "No", D(2026, 6, 3)),
    ("R-017", "Late NIS2 incident report leads to a fine", "legal", 2, 4, 1, 4, 4, "Modify", "Implemented", D(2026, 8, 20), "No", D(2026, 6, 2)),
    ("R-018", "Warehouse scanners run outdated firmware", "it", 3, 3, 3, 3, 6, "Accept", "Not started", None, "Yes", D(2026, 7, 21)),
]

IMPROVEMENTS = [
    ("OFI-01", "Automate evidence collection for audits with a GRC tool", "Surveillance audit OFI", "Cuts audit preparation from 15 to 5 days; evidence always current.", "GRC licence; 10 days of analyst time", 18000, "Medium", "Approve a GRC tool pilot for H1 2027."),
    ("OFI-02", "Immutable, tested backups for the tracking platform", "NC-2026-02", "Restores proven quarterly; ransomware resilience.", "Backup vault service; 5 days engineering", 12000, "High", "Fund immutable backup storage now."),
    ("OFI-03", "SOC 2 Type I readiness assessment", "IP-01", "Meets enterprise customer demands; wins renewals.", "External assessor", 25000, "High", "Approve the assessment in Q1 2027."),
    ("OFI-04", "Passwordless sign-in for warehouse staff", "FB-08", "Fewer helpdesk tickets, faster shifts.", "", None, "Low", "Note for the 2027 roadmap."),
    ("OFI-05", "Security champions in each development team", "Secure-coding training", "Earlier detection of design flaws.", "2 hours per champion per week", None, "Medium", "Approve the champion role and time."),
]

# The decision columns of f Risks and g Improvements (options with costs in GBP, the
# recommendation, the consequence of not deciding, the decide-by date and the linked items).
DECISION_COLUMNS: dict[str, dict[str, Any]] = {
    "R-007": {
        "Options": "Fund the weekend migration to the new Leeds server: 8000; Accept the risk "
                   "formally until 31 March 2027: 0; Do nothing: 0",
        "Recommendation": "Fund the weekend migration to the new Leeds server: the hardware is "
                          "delivered and only the migration remains.",
        "Consequence": "The unsupported server stays in service with known unpatched flaws; a "
                       "compromise would stop the Leeds warehouse.",
        "Decide by": D(2026, 12, 11), "Related IDs": "ACT-2025-08"},
    "R-011": {
        "Options": "Require the security questionnaire before any new supplier contract: 0; "
                   "Commission audits of the ten largest suppliers: 15000; Do nothing: 0",
        "Recommendation": "Require the security questionnaire before any new supplier contract "
                          "now; audit the largest suppliers in 2027.",
        "Consequence": "Supplier weaknesses stay unknown and the NIS2 supply-chain duty is not "
                       "met.",
        "Related IDs": "NC-2026-06, ACT-2026-05"},
    "R-014": {
        "Options": "Fund the database migration project in 2027: 40000; Accept the risk until "
                   "the end of support: 0; Do nothing: 0",
        "Recommendation": "Fund the database migration project in 2027, to finish before the "
                          "engine's end of support in June 2027.",
        "Consequence": "From June 2027 the tracking database receives no security patches.",
        "Decide by": D(2027, 1, 31), "Related IDs": "CTX-04"},
    "R-018": {
        "Options": "Accept the risk until the scanners are replaced in Q2 2027: 0; Replace the "
                   "scanners now: 30000; Do nothing: 0",
        "Recommendation": "Accept the risk until the scanners are replaced in Q2 2027, reviewed "
                          "monthly by the COO.",
        "Consequence": "The scanners keep outdated firmware with no recorded acceptance; the "
                       "auditor will raise it.",
        "Related IDs": "FB-08"},
    "OFI-01": {
        "Options": "Approve a GRC tool pilot for H1 2027: 18000; Defer to the 2028 budget: 0; "
                   "Do nothing: 0",
        "Recommendation": "Defer to the 2028 budget: audit preparation is manageable while the "
                          "backup and SOC 2 work take priority.",
        "Consequence": "Audit preparation keeps taking about 15 days per audit.",
        "Related IDs": "EX-2026-01"},
    "OFI-02": {
        "Options": "Fund immutable backup storage now: 12000; Keep the current backups with "
                   "manual restore tests: 0; Do nothing: 0",
        "Recommendation": "Fund immutable backup storage now, with quarterly restore tests, to "
                          "close NC-2026-02 before the next surveillance audit.",
        "Consequence": "Restores of the tracking platform stay unproven and ransomware could "
                       "destroy the backups.",
        "Decide by": D(2026, 12, 11), "Related IDs": "NC-2026-02, R-009"},
    "OFI-03": {
        "Options": "Approve the assessment in Q1 2027: 25000; Defer it to H2 2027: 25000; Do "
                   "nothing: 0",
        "Recommendation": "Approve the assessment in Q1 2027, before the enterprise renewals.",
        "Consequence": "Enterprise customers renewing in 2027 ask for SOC 2 evidence Acme cannot "
                       "give.",
        "Decide by": D(2026, 12, 11), "Related IDs": "IP-01, OBJ-05, FB-01"},
    "OFI-04": {
        "Options": "Add passwordless sign-in to the 2027 roadmap: 0; Do nothing: 0",
        "Recommendation": "Add passwordless sign-in to the 2027 roadmap.",
        "Consequence": "Helpdesk tickets about MFA prompts on warehouse scanners continue.",
        "Related IDs": "FB-08"},
    "OFI-05": {
        "Options": "Approve the champion role and two hours a week per champion: 9000; Do "
                   "nothing: 0",
        "Recommendation": "Approve the champion role and two hours a week per champion.",
        "Consequence": "Design flaws keep being found late, after release.",
        "Related IDs": "ACT-2026-08"},
}


def _with_decisions(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return [{**row, **DECISION_COLUMNS.get(row[key], {})} for row in rows]


EVIDENCE = [
    ("EV-A01", "Action tracker export with closure evidence", "a/action-tracker-2026-11.pdf", "a", "ciso", D(2026, 11, 13)),
    ("EV-B01", "Context and issues register H2 2026", "b/context-register.pdf", "b", "ciso", D(2026, 11, 10)),
    ("EV-B02", "NIS2 applicability assessment", "b/nis2-assessment.pdf", "b, c", "legal", D(2026, 6, 30)),
    ("EV-C01", "Interested parties register", "c/interested-parties.pdf", "c", "ciso", D(2026, 11, 10)),
    ("EV-D1-01", "Nonconformity and corrective action log", "d1/nc-log.pdf", "d1", "ciso", D(2026, 11, 13)),
    ("EV-D2-01", "Security metrics dashboard May–October 2026", "d2/metrics-dashboard.pdf", "d2", "soc", D(2026, 11, 13)),
    ("EV-D3-01", "Internal audit reports 2026", "d3/internal-audit-reports.pdf", "d3", "ciso", D(2026, 9, 30)),
    ("EV-D3-02", "Surveillance audit report (CertifyCo)", "d3/surveillance-audit-2026.pdf", "d3, d1", "ciso", D(2026, 7, 1)),
    ("EV-D4-01", "Information security objectives 2026 progress", "d4/objectives-progress.pdf", "d4", "ciso", D(2026, 11, 13)),
    ("EV-E01", "Interested party feedback log", "e/feedback-log.pdf", "e", "ciso", D(2026, 11, 13)),
    ("EV-F01", "Risk register and treatment plan", "f/risk-register.pdf", "f", "ciso", D(2026, 11, 13)),
    ("EV-G01", "Improvement proposals with costings", "g/improvement-proposals.pdf", "g", "ciso", D(2026, 11, 12)),
    ("EV-A02", "Minutes of the management review MR-2026-H1 (approved)", "a/minutes-MR-2026-H1.pdf", "a", "ciso", D(2026, 6, 19)),
    ("EV-A03", "Minutes of the management review MR-2025-H2 (approved)", "a/minutes-MR-2025-H2.pdf", "a", "ciso", D(2025, 12, 15)),
]
MINUTES_BODY = {  # what the previous minutes record, printed in their stand-in PDFs
    "EV-A02": "Meeting 12 June 2026, chaired by Helen Carter; top management present: Helen Carter, "
              "Marcus Obi, Sofia Lindqvist, Daniel Reyes.\nDecisions: ACT-2026-01 to ACT-2026-09 "
              "(owners and due dates in the action tracker).\nOverall: the ISMS is suitable, "
              "adequate and effective; scope to be reviewed after the Leeds acquisition.\n"
              "Approved by Helen Carter on 19 June 2026.",
    "EV-A03": "Meeting 11 December 2025, chaired by Helen Carter.\nDecisions: ACT-2025-07 to "
              "ACT-2025-11.\nApproved by Helen Carter on 15 December 2025.",
}

DECISIONS = [
    # id, input ref, type, decision, owner, due, priority, closure evidence, responds to, outcome, deferred to
    ("DEC-2026-H2-01", "d1, f, g", "Resource", "Fund immutable backup storage (OFI-02), budget £12,000, and close the major nonconformity NC-2026-02 with a full restore test by 31 January.", "cfo", D(2027, 1, 31), "High", "Purchase order and first restore test report", "OFI-02, NC-2026-02", "Approved", None),
    ("DEC-2026-H2-02", "f", "Risk acceptance", "Accept R-018 (scanner firmware) until scanners are replaced in Q2 2027; review monthly.", "coo", D(2027, 6, 30), "Medium", "Signed risk acceptance", "R-018", "Risk accepted", None),
    ("DEC-2026-H2-03", "a, f", "Other", "Escalate ACT-2025-08 (Leeds file server) to the COO with weekly reporting; complete by 31 January. This is the treatment of R-007.", "coo", D(2027, 1, 31), "High", "Decommissioning record", "ACT-2025-08, R-007", "Approved", None),
    ("DEC-2026-H2-04", "d2", "Other", "Noted the improving phishing click rate.", None, None, None, "", "", None, None),
    ("DEC-2026-H2-05", "c, g", "Improvement", "Approve the SOC 2 Type I readiness assessment (OFI-03) for Q1 2027.", "cto", D(2027, 3, 31), "High", "Assessor report", "OFI-03", "Approved", None),
    ("DEC-2026-H2-06", "f", "ISMS change", "Treat R-011: security questionnaire and 48-hour breach-notification clause for the 12 suppliers handling shipment data, starting with the WMS vendor.", "legal", D(2027, 3, 31), "High", "Signed contract amendments", "R-011", "Approved", None),
    ("DEC-2026-H2-07", "b, f", "Resource", "Fund the database engine migration (R-014) in the 2027 budget, £40,000; migration complete before end of support.", "cto", D(2027, 6, 30), "Medium", "Migration completion report", "R-014", "Approved", None),
    ("DEC-2026-H2-08", "g", "Improvement", "Defer the GRC tool pilot (OFI-01) to the next review, once the SOC 2 assessment shows which evidence it must collect.", None, None, "Medium", "", "OFI-01", "Deferred", D(2027, 6, 10)),
    ("DEC-2026-H2-09", "g", "Improvement", "Appoint a security champion in each development team with 2 hours a week (OFI-05).", "cto", D(2027, 2, 28), "Medium", "Champion list and time allocation", "OFI-05", "Approved", None),
    ("DEC-2026-H2-10", "g", "Other", "Reject passwordless sign-in for warehouse staff (OFI-04) for 2027: the scanners are replaced first.", None, None, "Low", "", "OFI-04", "Rejected", None),
    ("DEC-2026-H2-11", "9.3", "Other", "Approve the minutes of MR-2026-H1 (EV-A02) as a true record.", "ceo", D(2026, 11, 26), "Medium", "EV-A02", "", "Approved", None),
]

CONCLUSIONS = [
    # input ref, conclusion, change needed, dissent or uncertainty, suitable…, presented by
    ("overall", "The ISMS remains suitable and adequate for the extended scope; it is partly effective: vulnerability remediation and action completion miss their targets and the major nonconformity on restore testing is still open.", "Resources for backups, the database migration and supplier security (DEC-2026-H2-01, -06, -07); no change to scope or policy.", "The CFO doubts the migration fits the 2027 budget; to be confirmed in the January budget round.", "Partly", None),
    ("a", "Most actions are closed; ACT-2025-08 carried twice is now escalated to the COO.", "", "", None, None),
    ("b", "NIS2, the Leeds acquisition and the database end of support change risk and resources, not scope.", "Add NIS2 incident reporting to the incident procedure (done).", "", None, None),
    ("c", "Customer and regulator requirements are met; SOC 2 readiness answers enterprise customers.", "", "", None, "dpo"),
    ("d1", "One major nonconformity open (NC-2026-02): corrective action on track for the new backup storage.", "", "", None, None),
    ("d2", "Phishing and leaver metrics improve; critical vulnerability remediation falls further below target.", "Vulnerability SLA reporting monthly to the CTO.", "", None, "ciso"),
    ("d3", "Audit programme on plan; the business continuity audit is still in progress.", "", "The continuity audit may raise findings not yet known.", None, None),
    ("d4", "Four of five objectives on track or achieved; OBJ-02 off track with the vulnerability metric.", "", "", None, "ciso"),
    ("e", "Recurring theme: customers want evidence faster; answered by the questionnaire library.", "", "", None, None),
    ("f", "Every risk above appetite now has a decided treatment or acceptance.", "", "", None, None),
    ("g", "Four proposals decided, one deferred (OFI-01).", "", "", None, None),
]

def _rows(keys: tuple[str, ...], data: list[tuple[Any, ...]], people: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for item in data:
        row = dict(zip(keys, item, strict=True))
        for key in people:
            if row.get(key) in PEOPLE:
                row[key] = _p(row[key])
        out.append(row)
    return out


def _site(i: int) -> int:
    """Sites cycle so that descriptions differ, except R-119 which repeats R-107 on purpose."""
    return i % 3 if i < 12 or i == 19 else (i + 1) % 3


def _extra_risks(count: int) -> list[tuple[Any, ...]]:
    """Plausible low-level risks to give the register a realistic size (deterministic)."""
    rng = random.Random(27001)
    threats = ["Laptop theft", "Misconfigured cloud storage", "Weak supplier passwords",
               "Shadow IT SaaS use", "Lost USB media", "DDoS on customer portal",
               "Unpatched printers", "Social engineering at reception", "Expired TLS certificate",
               "Loss of key administrator", "Logging gaps in the WMS", "Test data contains PII"]
    owners = ["it", "cto", "ciso", "hr", "coo"]
    rows = []
    for i in range(count):
        likelihood, impact = rng.randint(1, 4), rng.randint(1, 4)
        rl, ri = max(1, likelihood - 1), max(1, impact - rng.randint(0, 1))
        rows.append((
            f"R-{100 + i:03d}", f"{threats[i % len(threats)]} ({['London', 'Leeds', 'cloud'][_site(i)]})",
            owners[i % len(owners)], likelihood, impact, rl, ri, 12, "Modify",
            "Implemented" if i % 3 else "In progress", D(2026, 12, 31) if i % 3 == 0 else None,
            "No", D(2025, 1 + i % 12, 1 + i % 27),
        ))
    return rows


def example_content(final: bool) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]], dict[str, str]]:
    review = dict(REVIEW)
    if final:
        review["Approved by"] = _p("ceo")
        review["Approved on"] = D(2026, 11, 30)
    metrics = []
    for mid, name, unit, better, target, source, owner, values in METRICS:
        for period, value in zip(MONTHS, values, strict=True):  # type: ignore[call-overload]
            if value is None:
                continue  # a missing month, on purpose: trends must flag it
            metrics.append({"Metric ID": mid, "Metric": name, "Unit": unit, "Better when": better,
                            "Target": target, "Period": period, "Value": value,
                            "Source": source, "Owner": _p(owner)})
    rows: dict[str, list[dict[str, Any]]] = {
        "Attendees": attendees(final),
        "a Previous actions": _rows(("Action ID", "Action", "Source review", "Owner", "Due date", "Status", "Completed on", "Carry-forward count", "Closure evidence", "Comment"), ACTIONS, ("Owner",)),
        "b Context changes": _rows(("Change ID", "Internal/External", "Category", "Description", "ISMS impact", "Date identified", "Owner"), CONTEXT, ("Owner",)),
        "c Interested parties": _rows(("Item ID", "Interested party", "Change in needs/expectations", "Source", "ISMS response", "Owner"), PARTIES, ("Owner",)),
        "d1 Nonconformities": _rows(("NC ID", "Source", "Severity", "Description", "Raised on", "Root cause", "Corrective action", "Owner", "Due date", "Status", "Closed on", "Effectiveness verified"), NCS, ("Owner",)),
        "d2 Metrics": metrics,
        "d3 Audits": _rows(("Audit ID", "Type", "Scope", "Date", "Auditor", "Majors", "Minors", "Observations", "OFIs", "Status", "Report ref"), AUDITS),
        "d4 Objectives": _rows(("Objective ID", "Objective", "Metric ID", "Target", "Due date", "Progress %", "Status", "Owner"), OBJECTIVES, ("Owner",)),
        "e Feedback": _rows(("Feedback ID", "Date", "Party type", "Party", "Category", "Summary", "Significance", "Response"), FEEDBACK),
        "f Risks": _rows(("Risk ID", "Risk", "Owner", "Likelihood", "Impact", "Residual likelihood", "Residual impact", "Appetite", "Treatment", "Treatment status", "Treatment due", "Decision needed", "Identified on"), RISKS + _extra_risks(20), ("Owner",)),
        "g Improvements": _rows(("Opportunity ID", "Opportunity", "Source", "Expected benefit", "Resources needed", "Estimated cost", "Priority", "Proposed decision"), IMPROVEMENTS),
        "Evidence": _rows(("Evidence ID", "Title", "File", "Input ref", "Owner", "Date"), EVIDENCE, ("Owner",)),
        "Decisions": _rows(("Decision ID", "Input ref", "Type", "Decision", "Owner", "Due date", "Priority", "Closure evidence", "Responds to", "Outcome", "Deferred to"), DECISIONS, ("Owner",)) if final else [],
        "Conclusions": _rows(("Input ref", "Conclusion", "Change needed to the ISMS", "Dissent or uncertainty", "Suitable, adequate and effective", "Presented by"), CONCLUSIONS, ("Presented by",)) if final else [],
    }
    rows["f Risks"] = _with_decisions(rows["f Risks"], "Risk ID")
    rows["g Improvements"] = _with_decisions(rows["g Improvements"], "Opportunity ID")
    return review, rows, {}


def evidence_pdf(evidence_id: str, title: str, owner: str, date: dt.date, body: str = "") -> bytes:
    """A small, reproducible one-to-two page PDF standing in for a real evidence document."""
    def latin(text: str) -> str:  # the core PDF fonts are Latin-1 only
        return text.replace("\u2013", "-").encode("latin-1", "replace").decode("latin-1")

    title = latin(title)
    pdf = FPDF(format="A4")
    pdf.set_creation_date(dt.datetime(date.year, date.month, date.day, tzinfo=dt.UTC))
    pdf.set_title(title)
    pdf.set_author(owner)
    pdf.set_creator("isms-review example")
    pdf.set_producer("isms-review")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 9, title)
    pdf.set_font("helvetica", size=11)
    pdf.ln(4)
    pdf.multi_cell(0, 6, f"Acme Logistics Ltd - {evidence_id}\nOwner: {owner}\nDate: {date.isoformat()}\n"
                   "Classification: Internal\n\nFictional example evidence generated by isms-review.")
    if body:
        pdf.ln(4)
        pdf.multi_cell(0, 6, latin(body))
    if evidence_id.endswith("01") and evidence_id.startswith("EV-D3"):
        pdf.add_page()
        pdf.multi_cell(0, 6, "Appendix: audit findings by clause (example page 2).")
    return bytes(pdf.output())


def write_example(folder: Path) -> list[Path]:
    """Write review.xlsx, review-final.xlsx and the evidence folder under ``folder``."""
    written = []
    for name, final in (("review.xlsx", False), ("review-final.xlsx", True)):
        review, rows, statements = example_content(final)
        wb = build_workbook(review=review, rows=rows, statements=statements)
        path = folder / name
        atomic_write_bytes(path, workbook_bytes(wb, STAMP))
        written.append(path)
    for eid, title, rel, _refs, owner, date in EVIDENCE:
        path = folder / "evidence" / rel
        atomic_write_bytes(path, evidence_pdf(eid, title, _p(owner), date, MINUTES_BODY.get(eid, "")))
        written.append(path)
    return written
