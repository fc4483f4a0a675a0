"""The audit actions measurement writes (and the API's read of questionnaires due).

Values are stored in the audit trail and covered by its hashes: never change one; add a member
instead (kapclinic/audit/actions.py).
"""

from __future__ import annotations

from kapclinic.audit.actions import AuditAction


class MeasurementAuditAction(AuditAction):
    # Questionnaire responses
    QUESTIONNAIRES_OPENED = "measurement.questionnaires_opened", "Patient's questionnaires viewed"
    ASSESSMENT_OPENED = "measurement.assessment_opened", "Questionnaire response opened"
    STARTED = "measurement.started", "Questionnaire started"
    ANSWERS_SAVED = "measurement.answers_saved", "Questionnaire answers saved"
    COMPLETED = "measurement.completed", "Questionnaire completed"
    RECORDED = "measurement.recorded", "Questionnaire recorded"
    AMENDED = "measurement.amended", "Questionnaire response amended"
    ENTERED_IN_ERROR = "measurement.entered_in_error", "Questionnaire marked entered in error"
    LINK_ISSUED = "measurement.link_issued", "Questionnaire link issued"
    LINK_OPENED = "measurement.link_opened", "Questionnaire link opened"
    PATIENT_MODE_ENTERED = "measurement.patient_mode_entered", "Tablet handed to the patient"
    PATIENT_MODE_LEFT = "measurement.patient_mode_left", "Tablet taken back from the patient"
    DUE_READ_BY_API = "measurement.due_read_by_api", "Questionnaires due read through the API"
    OUTCOME_GRAPH_VIEWED = "measurement.outcome_chart_viewed", "Outcome graph viewed"
    # Plans, enrolments and assignments
    PLAN_CREATED = "measurement.plan_created", "Measurement plan created"
    ENROL_OPENED = "measurement.enrol_opened", "Enrolment form opened"
    ENROLLED = "measurement.enrolled", "Patient enrolled in a measurement plan"
    ENROLMENT_ENDED = "measurement.enrolment_ended", "Enrolment ended"
    ASSIGNMENT_OPENED = "measurement.assignment_opened", "Assignment opened"
    ASSIGNMENT_STARTED = "measurement.assignment_started", "Assignment started"
    ASSIGNMENT_LINK_SENT = "measurement.assignment_link_sent", "Assignment link sent"
    ASSIGNMENT_CANCELLED = "measurement.assignment_cancelled", "Assignment cancelled"
    ASSIGNMENT_COMPLETED = "measurement.assignment_completed", "Assignment completed"
    ASSIGNMENT_AMENDED = "measurement.assignment_amended", "Assignment follows an amendment"
    ASSIGNMENT_REOPENED = "measurement.assignment_reopened", "Assignment reopened"
    ASSIGNMENT_MISSED = "measurement.assignment_missed", "Assignment missed"
    SESSION_SCHEDULED = "measurement.session_scheduled", "Questionnaires set for a booked session"
    SESSION_ENDED = "measurement.session_ended", "Questionnaires set after a session"
    SESSION_CANCELLED = "measurement.session_cancelled", "Questionnaires of a cancelled session"
    COURSE_ENDED = "measurement.course_ended", "Questionnaires set at the end of a course"
    # Safety tasks
    SAFETY_TASK_OPENED = "measurement.safety_task_opened", "Safety task opened"
    SAFETY_TASK_ACKNOWLEDGE_OPENED = (
        "measurement.safety_task_acknowledge_opened",
        "Safety task acknowledgement form opened",
    )
    SAFETY_TASK_ACKNOWLEDGED = "measurement.safety_task_acknowledged", "Safety task acknowledged"
    SAFETY_TASK_EVALUATE_OPENED = (
        "measurement.safety_task_evaluate_opened",
        "Risk evaluation form opened",
    )
    SAFETY_TASK_EVALUATED = "measurement.safety_task_evaluated", "Risk evaluation recorded"
    SAFETY_TASK_ESCALATED = "measurement.safety_task_escalated", "Safety task escalated"
    # Licensed questionnaire wording
    LICENSED_WORDING_LOADED = "measurement.licensed_wording_loaded", "Licensed wording loaded"
    LICENSED_WORDING_RETIRED = "measurement.licensed_wording_retired", "Licensed wording retired"
