"""JUnit XML: one test case per check, for the test dashboards of CI services.

Each exercise is a ``<testsuite>``, each check a ``<testcase>``: a failed check carries a
``<failure>``, every check of an exercise that could not be loaded an ``<error>``, and a
hidden check that did not run (a student's copy) is ``<skipped>``. Each suite's points go
into its ``<properties>``, which dashboards show next to the counts, and each test case
has the check's own duration. The XML validates against the Jenkins xUnit plugin's
schema (junit-10.xsd), which allows ``<properties>`` and ``skipped`` on a
``<testsuite>`` only, not on ``<testsuites>``.
"""

import re
import xml.etree.ElementTree as ET

# Characters XML 1.0 cannot hold even escaped; student code can put them in any message.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_junit(report, colour=False):
    counts = {"tests": 0, "failures": 0, "errors": 0}
    root = ET.Element("testsuites", name="nnlab")
    for exercise in report.exercises:
        suite = exercise_suite(exercise)
        root.append(suite)
        for key in counts:
            counts[key] += int(suite.get(key))
    for key, value in counts.items():
        root.set(key, str(value))
    root.set("time", f"{sum(e.seconds for e in report.exercises):.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def exercise_suite(exercise):
    suite = ET.Element("testsuite", name=exercise.name, time=f"{exercise.seconds:.3f}")
    properties(suite, title=exercise.title, score=exercise.score, max_score=exercise.max_score,
               status=exercise.status)
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for check in exercise.checks:
        case = ET.SubElement(suite, "testcase", name=check.name, classname=f"nnlab.{exercise.name}",
                             time=f"{check.seconds:.3f}")
        counts["tests"] += 1
        outcome = check_outcome(exercise, check)
        if outcome:
            tag, message = outcome
            ET.SubElement(case, tag, message=clean(message.splitlines()[0] if message else "")).text = clean(message)
            counts[{"failure": "failures", "error": "errors", "skipped": "skipped"}[tag]] += 1
    if exercise.output:
        ET.SubElement(suite, "system-out").text = clean(exercise.output)
    for key, value in counts.items():
        suite.set(key, str(value))
    return suite


def check_outcome(exercise, check):
    """``(tag, message)`` for a check that did not pass, None for one that did."""
    if exercise.error:
        return "error", exercise.error
    if not check.counted:
        return "skipped", check.message
    if not check.passed:
        return "failure", check.message or "failed"
    return None


def properties(element, **values):
    holder = ET.SubElement(element, "properties")
    for name, value in values.items():
        text = f"{value:g}" if isinstance(value, float) else str(value)
        ET.SubElement(holder, "property", name=name, value=clean(text))


def clean(text):
    return NOT_XML.sub("\ufffd", text)
