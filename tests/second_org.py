"""A second organisation's workbook, unlike the Acme example: a Swiss-German clinic group in
EUR, quarterly and lower-is-better metrics, a handful of rows per register, a major
nonconformity past its due date, and risks linked to actions and proposals by 'Related IDs'."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from pipeline.workbook.template import build_workbook, write_workbook

D = dt.date
REVIEW: dict[str, Any] = {
    "Organisation": "Borealis Kliniken GmbH", "ISMS scope": "Patient records and the booking "
    "platform of the Borealis clinics in Munich and Graz, hosted in a colocation centre.",
    "Review ID": "MR-2027-Q1", "Period start": D(2026, 7, 1), "Period end": D(2027, 3, 31),
    "Data cut-off": D(2027, 4, 10), "Meeting date": D(2027, 4, 29), "Meeting time": dt.time(14, 0),
    "Time zone": "Europe/Berlin", "Location": "Munich, room 2", "Chair": "Eva Brandt",
    "Document owner": "Jonas Weber", "Classification": "Confidential", "Version": "2.1",
    "Currency": "EUR",
}
PEOPLE = [("Eva Brandt", "Managing Director", True), ("Jonas Weber", "ISMS Manager", False),
          ("Mia Huber", "Head of IT", False)]


def rows() -> dict[str, list[dict[str, Any]]]:
    quarters = ["2026-Q3", "2026-Q4", "2027-Q1"]
    metrics = []
    for mid, name, unit, better, target, values in (
        ("K1", "Mean days to patch critical flaws", "days", "Lower", 10, [12, 15, 19]),
        ("K2", "Phishing reports per 100 staff", "count", "Higher", 20, [22, 25, 27]),
    ):
        for period, v in zip(quarters, values, strict=True):
            metrics.append({"Metric ID": mid, "Metric": name, "Unit": unit, "Better when": better,
                            "Target": target, "Period": period, "Value": v, "Owner": "Mia Huber"})
    return {
        "Attendees": [{"Name": n, "Role": r, "Top management": t, "Attendance": "Invited"}
                      for n, r, t in PEOPLE],
        "a Previous actions": [
            {"Action ID": "A-1", "Action": "Replace the booking server", "Source review":
             "MR-2026-Q3", "Owner": "Mia Huber", "Due date": D(2027, 1, 31), "Status": "Open",
             "Carry-forward count": 2},
            {"Action ID": "A-2", "Action": "Train reception staff on phishing", "Source review":
             "MR-2026-Q3", "Owner": "Jonas Weber", "Due date": D(2026, 11, 30), "Status": "Done",
             "Completed on": D(2026, 11, 20)},
        ],
        "d1 Nonconformities": [
            {"NC ID": "NC-7", "Source": "External audit", "Severity": "Major",
             "Description": "No restore test of patient records", "Raised on": D(2026, 9, 1),
             "Owner": "Mia Huber", "Due date": D(2027, 1, 15), "Status": "Open"},
            {"NC ID": "NC-8", "Source": "Internal audit", "Severity": "Minor",
             "Description": "Visitor log incomplete", "Raised on": D(2026, 10, 5),
             "Owner": "Jonas Weber", "Due date": D(2026, 12, 1), "Status": "Closed",
             "Closed on": D(2026, 11, 28), "Effectiveness verified": True},
        ],
        "d2 Metrics": metrics,
        "d3 Audits": [
            {"Audit ID": "EXT-1", "Type": "Surveillance", "Scope": "Whole ISMS",
             "Date": D(2026, 9, 1), "Auditor": "TÜV", "Majors": 1, "Minors": 0,
             "Observations": 1, "OFIs": 0, "Status": "Report issued"},
        ],
        "d4 Objectives": [
            {"Objective ID": "O-1", "Objective": "Patch critical flaws within 10 days",
             "Metric ID": "K1", "Target": "≤ 10 days", "Due date": D(2027, 6, 30),
             "Progress %": 0.3, "Status": "Off track", "Owner": "Mia Huber"},
        ],
        "e Feedback": [
            {"Feedback ID": "F-1", "Date": D(2026, 9, 1), "Party type": "Auditor",
             "Summary": "Restore testing missing", "Significance": "High"},
        ],
        "f Risks": [
            {"Risk ID": "RK-1", "Risk": "Ransomware destroys patient records", "Owner": "Mia Huber",
             "Likelihood": 4, "Impact": 5, "Residual likelihood": 3, "Residual impact": 5,
             "Appetite": 6, "Treatment": "Modify", "Treatment status": "Not started",
             "Treatment due": D(2027, 2, 28), "Decision needed": True,
             "Identified on": D(2026, 8, 1),
             "Options": "Buy offline backup appliances: 48000; Accept the risk: 0",
             "Recommendation": "Buy offline backup appliances this quarter.",
             "Consequence": "A ransomware attack could erase the only copy of patient records.",
             "Decide by": D(2027, 4, 29), "Related IDs": "NC-7, A-1"},
            {"Risk ID": "RK-2", "Risk": "Booking outage on the legacy server", "Owner": "Mia Huber",
             "Likelihood": 3, "Impact": 3, "Residual likelihood": 3, "Residual impact": 3,
             "Appetite": 6, "Treatment": "Modify", "Treatment status": "Not started",
             "Treatment due": D(2027, 9, 30), "Decision needed": False,
             "Identified on": D(2026, 8, 1),
             "Options": "Migrate bookings to the hosted service: 15500; Do nothing: 0",
             "Recommendation": "Migrate bookings to the hosted service before the summer.",
             "Consequence": "Clinics lose online booking whenever the old server fails.",
             "Related IDs": "K1"},
        ],
        "g Improvements": [
            {"Opportunity ID": "G-1", "Opportunity": "Security newsletter for clinic staff",
             "Expected benefit": "More phishing reports", "Estimated cost": 2000,
             "Priority": "Low", "Proposed decision": "Approve a quarterly newsletter.",
             "Options": "Approve a quarterly newsletter: 2000; Do nothing: 0",
             "Recommendation": "Approve a quarterly newsletter.",
             "Consequence": "Phishing reports stay at today's rate.", "Related IDs": "K2"},
        ],
    }


def write_second_org(folder: Path, **review: Any) -> Path:
    path = folder / "borealis.xlsx"
    write_workbook(path, build_workbook(review={**REVIEW, **review}, rows=rows(), statements={
        "b Context changes": "No change in the period (checked with the board in March).",
        "c Interested parties": "No new requirements since the last review."}))
    return path
