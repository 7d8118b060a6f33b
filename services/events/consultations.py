"""Consultations (意见征集): staff put a questionnaire to residents for a span of local
days; each phone answers once while it is open; the results are counted live from the
stored answers and exported as XLSX. Plain functions over a unit of work (writes) or a
session (reads), like domain.py, whose pseudonymous residents they share: the phone is
only ever the keyed hash of ``residents``, never stored, shown or put in a fact.
"""
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from common import downloads, pii, spreadsheet, times, vocab
from common.db import paginate
from common.errors import Conflict, NotFound, ValidationFailed, load_input
from common.messages import msg
from services.events import schemas
from services.events.domain import Shown, _row_id, resident_for_phone
from services.events.models import Consultation, ConsultationAnswer

CONSULTATION = schemas.Consultation()
CONSULTATION_PUBLIC = schemas.Consultation(exclude=("created_by", "created_at"))
RESULTS = schemas.ConsultationResults()
ANSWER_RESULT = schemas.ConsultationAnswerResult()
QUERY = schemas.ConsultationQuery()
MAX_TEXT = 500
RATINGS = (1, 2, 3, 4, 5)


def status_on(consultation, today):
    if today < consultation.opens_on:
        return "upcoming"
    return "open" if today <= consultation.closes_on else "closed"


def _shown(consultation, today=None):
    return Shown(consultation, status=status_on(consultation, today or times.local_today()))


def _row(session, consultation_id, lock=False):
    statement = select(Consultation).where(
        Consultation.id == _row_id(consultation_id, "consultation"))
    if lock:
        statement = statement.with_for_update()
    consultation = session.execute(statement).scalar_one_or_none()
    if consultation is None:
        raise NotFound("consultation_not_found",
                       {"consultation_id": consultation_id}, consultation_id=consultation_id)
    return consultation


# -- staff: create, list, read ----------------------------------------------------------

def create_consultation(uow, data, created_by):
    data = load_input(schemas.ConsultationCreate, data)
    consultation = Consultation(
        title=data["title"], description=data.get("description"),
        questions=[{"kind": q["kind"], "text": q["text"], "options": q["options"],
                    "required": q["required"]} for q in data["questions"]],
        compounds=data["compounds"], opens_on=data["opens_on"], closes_on=data["closes_on"],
        answers=0, created_by=created_by, created_at=times.now())
    uow.session.add(consultation)
    uow.session.flush()
    uow.emit("consultation_created", {
        "consultation_id": consultation.id, "opens_on": consultation.opens_on.isoformat(),
        "closes_on": consultation.closes_on.isoformat(),
        "questions": len(consultation.questions), "compounds": consultation.compounds})
    return CONSULTATION.dump(_shown(consultation))


def get_consultation(session, consultation_id, staff=False):
    consultation = _row(session, consultation_id)
    return (CONSULTATION if staff else CONSULTATION_PUBLIC).dump(_shown(consultation))


def list_consultations(session, query=None, staff=False):
    """The newest first; the public sees the open ones only."""
    q = load_input(QUERY, query)
    today = times.local_today()
    status = q.get("status") if staff else "open"
    statement = select(Consultation).order_by(Consultation.id.desc())
    if status == "upcoming":
        statement = statement.where(Consultation.opens_on > today)
    elif status == "open":
        statement = statement.where(Consultation.opens_on <= today,
                                    Consultation.closes_on >= today)
    elif status == "closed":
        statement = statement.where(Consultation.closes_on < today)
    shown = CONSULTATION if staff else CONSULTATION_PUBLIC
    return paginate(session, statement, q["page"], q["per_page"],
                    lambda row: shown.dump(_shown(row, today)))


# -- residents: answer once per phone while open ----------------------------------------

def _refuse(number, question, reason):
    field = f"answers.{number}"
    raise ValidationFailed("consultation_answer_invalid", {field: [reason]}, number=number,
                           text=question['text'], reason=reason)


def checked_answers(questions, answers):
    """The answers as stored (one per question, in order), or a 422 naming the first
    question whose answer does not fit it (``answers.<number>``, 1-based)."""
    if len(answers) != len(questions):
        raise ValidationFailed("answer_count_mismatch",
                               {"answers": [msg("answer_count_mismatch",
                                                questions=len(questions),
                                                answers=len(answers))]},
                               questions=len(questions), answers=len(answers))
    stored = []
    for number, (question, answer) in enumerate(zip(questions, answers), start=1):
        kind = question["kind"]
        if answer is None or answer == "" or answer == []:
            if question["required"]:
                _refuse(number, question, msg("answer_required"))
            stored.append(None)
            continue
        options = question.get("options") or []
        if kind == "single":
            if isinstance(answer, bool) or not isinstance(answer, int) \
                    or not 0 <= answer < len(options):
                _refuse(number, question, msg("choose_one_option", last=len(options) - 1))
        elif kind == "multiple":
            if not isinstance(answer, list) or any(
                    isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < len(options)
                    for a in answer) or len(set(answer)) != len(answer):
                _refuse(number, question, msg("choose_distinct_options", last=len(options) - 1))
            answer = sorted(answer)
        elif kind == "rating":
            if isinstance(answer, bool) or not isinstance(answer, int) or answer not in RATINGS:
                _refuse(number, question, msg("rating_1_to_5"))
        else:  # text
            if not isinstance(answer, str) or len(answer.strip()) == 0:
                _refuse(number, question, msg("text_required"))
            answer = answer.strip()
            if len(answer) > MAX_TEXT or "\x00" in answer:
                _refuse(number, question, msg("text_at_most", max=MAX_TEXT))
            # Answers are anonymous: a phone or ID number typed into one is masked.
            answer = pii.redact(answer)
        stored.append(answer)
    return stored


def _check_open(consultation, today):
    status = status_on(consultation, today)
    if status == "upcoming":
        raise ValidationFailed(
            "consultation_not_open_yet",
            {"consultation": ["not_open_yet"], "opens_on": [consultation.opens_on.isoformat()]},
            opens_on=consultation.opens_on.isoformat())
    if status == "closed":
        raise ValidationFailed(
            "consultation_closed",
            {"consultation": ["closed"], "closes_on": [consultation.closes_on.isoformat()]},
            closes_on=consultation.closes_on.isoformat())


def _already_answered(consultation):
    return Conflict("consultation_already_answered",
                    {"phone": ["already_answered"], "consultation_id": consultation.id})


def answer_consultation(uow, crypto, consultation_id, data):
    data = load_input(schemas.ConsultationAnswerCreate, data)
    session = uow.session
    consultation = _row(session, consultation_id, lock=True)
    _check_open(consultation, times.local_today())
    answers = checked_answers(consultation.questions, data["answers"])
    resident = resident_for_phone(session, crypto, data["phone"])
    answered = session.execute(select(ConsultationAnswer.id).where(
        ConsultationAnswer.consultation_id == consultation.id,
        ConsultationAnswer.resident_id == resident.id)).first()
    if answered:
        raise _already_answered(consultation)
    row = ConsultationAnswer(consultation_id=consultation.id, resident_id=resident.id,
                             answers=answers, answered_at=times.now())
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # the same phone at the same moment (PostgreSQL)
        raise _already_answered(consultation) from None
    consultation.answers = session.execute(select(func.count()).where(
        ConsultationAnswer.consultation_id == consultation.id)).scalar_one()
    uow.emit("consultation_answered", {
        "consultation_id": consultation.id, "answer_id": row.id,
        "resident_id": resident.id, "answered_at": row.answered_at,
        "answers": consultation.answers})
    return ANSWER_RESULT.dump({"consultation_id": consultation.id,
                               "answered_at": row.answered_at,
                               "answers": consultation.answers})


# -- results: counted from the stored answers, whenever asked ---------------------------

def count_results(questions, answer_rows):
    results = []
    for index, question in enumerate(questions):
        given = [a[index] for a in answer_rows if index < len(a) and a[index] is not None]
        result = {"number": index + 1, "kind": question["kind"], "text": question["text"],
                  "answered": len(given), "choices": [], "ratings": [], "mean": None,
                  "texts": []}
        if question["kind"] in schemas.CHOICE_KINDS:
            counts = [0] * len(question["options"])
            for answer in given:
                for choice in (answer if isinstance(answer, list) else [answer]):
                    counts[choice] += 1
            result["choices"] = [{"option": o, "count": c}
                                 for o, c in zip(question["options"], counts)]
        elif question["kind"] == "rating":
            result["ratings"] = [sum(1 for a in given if a == r) for r in RATINGS]
            result["mean"] = round(sum(given) / len(given), 2) if given else None
        else:
            result["texts"] = list(given)
        results.append(result)
    return results


def consultation_results(session, consultation_id):
    consultation = _row(session, consultation_id)
    rows = session.execute(select(ConsultationAnswer.answers).where(
        ConsultationAnswer.consultation_id == consultation.id)
        .order_by(ConsultationAnswer.id)).scalars().all()
    return RESULTS.dump({"consultation": _shown(consultation), "answers": len(rows),
                         "questions": count_results(consultation.questions, rows)})


def export_results(session, consultation_id):
    """The results as an XLSX workbook: a summary sheet per question and the short texts;
    every cell written through ``common.spreadsheet`` (formulas neutralised)."""
    from openpyxl import Workbook

    results = consultation_results(session, consultation_id)
    consultation = results["consultation"]
    wb = Workbook()
    ws = wb.active
    ws.title = "结果"
    spreadsheet.append(ws, [f"意见征集：{consultation['title']}"])
    spreadsheet.append(ws, ["开放日期", f"{consultation['opens_on']} 至 {consultation['closes_on']}"])
    compounds = "、".join(vocab.label("compounds", c) or c for c in consultation["compounds"])
    spreadsheet.append(ws, ["目标小区", compounds or "全体居民"])
    spreadsheet.append(ws, ["参与居民", results["answers"]])
    spreadsheet.append(ws, [])
    spreadsheet.header(ws, ["题号", "题目", "题型", "选项 / 分值", "人数", "平均分"])
    for q in results["questions"]:
        kind = schemas.QUESTION_KINDS[q["kind"]]
        if q["choices"]:
            for choice in q["choices"]:
                spreadsheet.append(ws, [q["number"], q["text"], kind, choice["option"],
                                        choice["count"], None])
        elif q["kind"] == "rating":
            for score, count in zip(RATINGS, q["ratings"]):
                spreadsheet.append(ws, [q["number"], q["text"], kind, f"{score} 分", count,
                                        q["mean"]])
        else:
            spreadsheet.append(ws, [q["number"], q["text"], kind, "（见“简答”表）",
                                    q["answered"], None])
    spreadsheet.widths(ws, [6, 36, 12, 24, 8, 8])
    texts = wb.create_sheet("简答")
    spreadsheet.header(texts, ["题号", "题目", "回答"])
    for q in results["questions"]:
        for text in q["texts"]:
            spreadsheet.append(texts, [q["number"], q["text"], text])
    spreadsheet.widths(texts, [6, 36, 60])
    return downloads.answer(spreadsheet.to_bytes(wb),
                            f"consultation-{consultation['id']}.xlsx",
                            spreadsheet.CONTENT_TYPE,
                            title=f"意见征集结果-{consultation['title']}.xlsx")
