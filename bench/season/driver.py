"""A season of the programme driven over the gateway's HTTP API, and checked at the end.

    from bench.season.driver import Season
    report = Season(["http://127.0.0.1:8000"], signing_key, students=300).run()
    print(report.text()); assert report.ok, report.problems

It talks only HTTP to the gateway base URL(s) it is given (clients are spread over them), mints staff
tokens with `common.auth.issue_token` and the registry's signing key (afresh before they expire), and
gives students and the organisations' representatives real EDS certificates (GOST 2015, 512-bit) from the
test PKI of tests/registry/pki.py, which the registry must trust. Nothing here assumes the platform runs in the
same process, so it drives a platform of OS processes as well as the test suite's in-process one.

The path: staff (operator, a MIO officer per region, a registrar per university, a coordinator per
site, created by an admin), organisations applying with EDS and accredited by their region's
officer, one project per site; then per student: EDS registration, their university's registrar
confirming the enrolment (a roster CSV per university), a project search, an application,
an interview slot, the coordinator's acceptance (the site's outcomes in bulk), ten days of attendance
logged in bulk per site, the student's bulk confirmation, the site's completion report, the Operator's
acceptance (the unflagged reports in bulk, the flagged and sampled ones one by one), payout details,
the payout through the bank, and the registrar's credit confirmation (a page of the queue under one
order a request). The check at the end reads, as the
Operator, the registrars and (a sample of) the students see it, that every student was paid the
voucher's reward exactly once and has its credits.
"""
import datetime as dt
import math
import random
import threading
import time
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import requests

from bench.season.monitor import PhaseStats, ProgressBar, Sampler
from common import programme
from common.auth import (ADMIN, COORDINATOR, MAX_ACCESS_TTL_SECONDS, MIO_OFFICER, OPERATOR, REGISTRAR,
                         STEP_UP_HEADER, issue_step_up, issue_token)
from common.contracts.payments import PayoutDetailsIn
from common.contracts.timesheet import MAX_BULK_REVIEW
from common.validation import load
from services.payments.rules import kz_iban
from services.registry.rules import check_digit
from tests.registry.gost_pki import LEGAL_HEAD
from tests.registry.pki import random_iin, session_pki, sign_document, sign_nonce

API = "/api/v1"
ATTENDANCE_DAYS = 10  # about ten hour entries per student
STUDENTS_PER_SITE = 200
OUTCOMES_PAGE = 50  # a coordinator's page of outcomes (the API takes 200): a few seconds of work each
PAGE = 200  # the largest page the lists give
CREDITS_PAGE = 200  # a registrar's page of the queue, confirmed in one request under one order
ROSTER_ROWS = 2_000  # rows in one roster file
SAMPLE_STUDENTS = 300  # students who check their own payout and credits at the end
STAFF_TTL = MAX_ACCESS_TTL_SECONDS
KINDS = programme.VOUCHER_KINDS
LOCAL_TIME = ZoneInfo(programme.TIMEZONE)
HTTP_TIMEOUT = 90  # past the gateway's longest deadline (bulk routes: 60 s), so its 503 arrives
EVENTUAL = (403, 404, 409, 422)  # what a step answers while an event has not reached its service yet


class StepFailed(Exception):
    """A request answered something other than what the path expects."""


@dataclass
class Site:
    index: int
    region: str
    organisation_id: str = ""
    site_id: str = ""
    coordinator: dict = field(default_factory=dict)  # headers
    signer: object = None  # the organisation head's EDS, which signs the site's completion reports
    voucher_kind: str = ""
    direction: str = ""
    project_id: str = ""
    slot_ids: list = field(default_factory=list)
    students: list = field(default_factory=list)


@dataclass
class Student:
    index: int
    site: Site
    university_id: str
    user: object = None  # tests.registry.pki.User
    student_id: str = ""
    headers: dict = field(default_factory=dict)
    application_id: str = ""
    placement_id: str = ""
    report_id: str = ""
    failed: str = ""  # the first step that failed for this student

    @property
    def voucher(self):
        return programme.voucher(self.site.voucher_kind)


@dataclass
class SeasonReport:
    students: int
    phases: list
    wall_seconds: float
    problems: list
    memory_lines: list
    queue_lines: list

    @property
    def ok(self):
        return not self.problems

    def text(self):
        lines = [PhaseStats.HEADER] + [phase.row() for phase in self.phases]
        total = sum(len(phase.latencies_ms) for phase in self.phases)
        lines += ["", f"{self.students} students, {total} requests in {self.wall_seconds:.1f} s wall time "
                      f"({total / max(self.wall_seconds, 1e-9):.1f} req/s overall)",
                  "peak memory and CPU time of each process:", *(self.memory_lines or ["  (no process ids given)"]),
                  "peak queue depths on the broker:", *(self.queue_lines or ["  (not sampled)"]),
                  "correctness: " + ("every student paid the right amount once, with the right credits"
                                     if self.ok else f"{len(self.problems)} problems")]
        lines += [f"  - {problem}" for problem in self.problems[:20]]
        return "\n".join(lines)


def local_today():
    return dt.datetime.now(LOCAL_TIME).date()


def random_bin(rng):
    """A valid BIN: registration year and month, a resident legal entity, a serial, its check digit."""
    while True:
        first = f"{rng.randint(0, 25):02d}{rng.randint(1, 12):02d}4{rng.randint(0, 999999):06d}"
        digit = check_digit(first)
        if digit is not None:
            return first + str(digit)


def client_address(number):
    """Where a person signs in from, as the edge reports it in X-Forwarded-For: every student and
    representative is a client of their own (an address of the benchmarking range 198.18.0.0/15,
    RFC 2544), so the gateway's per-client sign-in limit applies to each of them, not to the load
    generator as one client. The gateway trusts one proxy (LOGIN_RATE_TRUSTED_PROXIES=1), as behind
    the production edge."""
    number %= 2 ** 17
    return {"X-Forwarded-For": f"198.{18 + (number >> 16)}.{(number >> 8) & 255}.{number & 255}"}


class RenewedBearer(Mapping):
    """An Authorization header renewed before its access token's 15 minutes run out (staff: minted
    afresh; students: through their refresh token), so a season longer than that keeps everyone
    signed in."""

    def __init__(self, renew, token=None):
        self.renew = renew
        self.lock = threading.Lock()
        self.token, self.minted = token or renew(), time.monotonic()

    def __getitem__(self, key):
        if key != "Authorization":
            raise KeyError(key)
        with self.lock:
            if time.monotonic() - self.minted > STAFF_TTL / 2:
                self.token, self.minted = self.renew(), time.monotonic()
            return "Bearer " + self.token

    def __iter__(self):
        return iter(("Authorization",))

    def __len__(self):
        return 1


class Season:
    def __init__(self, base_urls, signing_key, students=50_000, clients=16, pki=None, pids=None,
                 management_url=None, vhost="/", progress=None, seed=None, timeout=120.0, day_rows=50):
        self.base_urls = [base_urls] if isinstance(base_urls, str) else list(base_urls)
        self.signing_key = signing_key
        self.count = students
        self.clients = clients
        self.pki = pki or session_pki()
        self.sampler = Sampler(pids, management_url, vhost)
        self.progress = progress  # a stream for the progress bars, or None
        self.rng = random.Random(seed)
        self.timeout = timeout  # the longest wait for one event to reach another service
        self.day_rows = day_rows  # attendance rows in one request (the API takes up to 500)
        self.local = threading.local()
        self.sessions = []
        self.sessions_lock = threading.Lock()
        self.setup_problems = []
        self.phases = []
        self.phase = None
        self.used_iins = set()
        self.pool = ThreadPoolExecutor(max_workers=clients, thread_name_prefix="season-client")

    # Requests

    def session(self):
        if not hasattr(self.local, "session"):
            with self.sessions_lock:
                self.local.session = requests.Session()
                self.local.base_url = self.base_urls[len(self.sessions) % len(self.base_urls)]
                self.sessions.append(self.local.session)
        return self.local.session, self.local.base_url

    def call(self, method, path, expect=(200, 201), eventual=(), headers=None, raw=False, **kwargs):
        """One request, timed into the current phase; while it answers one of `eventual` (an event on
        its way), it is tried again (counted as a retry) until `self.timeout` passes."""
        http, base_url = self.session()
        deadline = time.monotonic() + self.timeout
        while True:
            started = time.perf_counter()
            try:
                response = http.request(method, base_url + path, headers=headers, timeout=HTTP_TIMEOUT, **kwargs)
                status = response.status_code
            except requests.RequestException as exc:
                response, status = exc, None
            elapsed = (time.perf_counter() - started) * 1000
            if status in expect:
                self.phase.record(elapsed)
                if raw:
                    return response.content
                return response.json() if response.content else None
            if status in eventual and time.monotonic() < deadline:
                self.phase.record(elapsed, retry=True)
                time.sleep(0.2)
                continue
            self.phase.record(elapsed, error=True)
            detail = response.text[:300] if status is not None else repr(response)
            raise StepFailed(f"{method} {path} answered {status}: {detail}")

    def run_phase(self, name, tasks, work):
        """`work(task)` for every task on the pool of clients, with a progress bar; a task that fails
        marks its student (a site's: all its students) and the run goes on."""
        self.phase = PhaseStats(name, started=time.monotonic())
        self.phases.append(self.phase)
        bar = ProgressBar(self.progress, name, len(tasks), self.phase)

        def one(task):
            try:
                work(task)
            except StepFailed as exc:
                if isinstance(task, Student) and not task.failed:
                    task.failed = f"{name}: {exc}"
                elif not isinstance(task, Student):
                    self.setup_problems.append(f"{name}: {exc}")
                    for student in getattr(task, "students", []):
                        student.failed = student.failed or f"{name} (their site): {exc}"
            finally:
                bar.advance()

        list(self.pool.map(one, tasks))
        self.phase.finished = time.monotonic()
        bar.close()

    def staff_headers(self, role, user_id, name, **scope):
        return RenewedBearer(lambda: issue_token(self.signing_key, user_id, (role,), scope, name=name, ttl=STAFF_TTL))

    # The season

    def run(self):
        self.sampler.start()
        started = time.monotonic()
        try:
            self.setup()
            self.students_path()
            problems = self.setup_problems + self.check()
        finally:
            self.sampler.stop()
            self.pool.shutdown()
            for http in self.sessions:
                http.close()
        return SeasonReport(self.count, self.phases, time.monotonic() - started, problems,
                            self.sampler.memory_lines(), self.sampler.queue_lines())

    def setup(self):
        self.phase = PhaseStats("staff and universities", started=time.monotonic())
        self.phases.append(self.phase)
        self.admin = self.staff_headers(ADMIN, "season-admin", "Season Admin")
        universities = self.call("GET", f"{API}/universities")
        self.universities = {}
        for university in universities:
            self.universities.setdefault(university["region"], []).append(university["id"])
        self.regions = sorted(self.universities)
        self.operator = self.staff("operator", OPERATOR, {})
        self.officers = {region: self.staff(f"MIO officer {region}", MIO_OFFICER, {"region": region})
                         for region in self.regions}
        self.registrars = {university_id: self.staff(f"Registrar {university_id[:6]}", REGISTRAR,
                                                     {"university_id": university_id})
                           for ids in self.universities.values() for university_id in ids}
        self.phase.finished = time.monotonic()

        site_count = max(2 * len(self.regions), math.ceil(self.count / STUDENTS_PER_SITE))
        self.sites = [Site(index, self.regions[index % len(self.regions)], voucher_kind=KINDS[index % len(KINDS)],
                           direction=programme.DIRECTION_CODES[index % len(programme.DIRECTION_CODES)])
                      for index in range(site_count)]
        self.students = []
        for index in range(self.count):
            site = self.sites[index % site_count]
            universities = self.universities[site.region]
            student = Student(index, site, universities[index % len(universities)])
            site.students.append(student)
            self.students.append(student)
        self.run_phase("organisations", self.sites, self.organisation)
        self.run_phase("projects and slots", self.sites, self.project)

    def staff(self, name, role, scope):
        body = {"iin": self.new_iin(), "full_name": name, "role": role, **scope}
        made = self.call("POST", f"{API}/staff", json=body, headers=self.admin)
        return self.staff_headers(role, made["id"], name, **{key: made[key] for key in
                                                              ("region", "organisation_id", "site_id",
                                                               "university_id") if made.get(key)})

    def new_iin(self):
        while True:
            iin = random_iin()
            if iin not in self.used_iins:
                self.used_iins.add(iin)
                return iin

    def organisation(self, site):
        """The organisation applies signed by its representative's EDS, its officer accredits it, and
        an admin adds the site's coordinator."""
        bin_ = random_bin(self.rng)
        representative = self.pki.make_user(iin=self.new_iin(), name="ПРЕДСТАВИТЕЛЕВ АСЕТ БОЛАТОВИЧ", bin_=bin_,
                                            usages=LEGAL_HEAD)
        address = client_address(2 ** 17 - 1 - site.index)
        challenge = self.call("POST", f"{API}/auth/challenge", headers=address)
        applied = self.call("POST", f"{API}/organisations", headers=address, json={
            "nonce": challenge["nonce"], "signature": sign_nonce(representative, challenge), "bin": bin_,
            "name": f"Children's Centre No. {site.index + 1}", "kind": "centre", "region": site.region,
            "address": f"Abai avenue {site.index + 1}",
            "sites": [{"name": f"Centre No. {site.index + 1}", "address": f"Abai avenue {site.index + 1}",
                       "city": "Astana", "directions": list(programme.DIRECTION_CODES)}]})
        site.organisation_id, site.site_id = applied["id"], applied["sites"][0]["id"]
        site.signer = representative
        self.call("POST", f"{API}/organisations/{site.organisation_id}/accredit",
                  headers=self.officers[site.region])
        made = self.call("POST", f"{API}/staff", headers=self.admin, json={
            "iin": self.new_iin(), "full_name": f"Coordinator {site.index + 1}", "role": COORDINATOR,
            "organisation_id": site.organisation_id, "site_id": site.site_id})
        site.coordinator = self.staff_headers(COORDINATOR, made["id"], made["full_name"], region=made["region"],
                                              organisation_id=site.organisation_id, site_id=site.site_id)

    def project(self, site):
        """One project per site with a place and an interview slot for each of its students."""
        today = local_today()
        places = max(1, len(site.students))
        project = self.call("POST", f"{API}/projects", headers=site.coordinator, eventual=EVENTUAL, json={
            "title": f"Season project {site.index + 1}", "description": "Afternoon activities with children.",
            "direction": site.direction, "voucher_kind": site.voucher_kind, "places": places,
            "starts_on": (today - dt.timedelta(days=30)).isoformat(),
            "ends_on": (today + dt.timedelta(days=60)).isoformat(),
            "schedule": "Mon-Fri 15:00-18:00", "online": False, "languages": ["kk", "ru"]})
        site.project_id = project["id"]
        first = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(days=2)
        for start in range(0, places, 100):
            slots = [{"starts_at": (first + dt.timedelta(minutes=15 * i)).isoformat(), "address": "Room 1"}
                     for i in range(start, min(places, start + 100))]
            made = self.call("POST", f"{API}/projects/{site.project_id}/slots", headers=site.coordinator,
                             json={"slots": slots})
            site.slot_ids += [slot["id"] for slot in made["items"]]

    def students_path(self):
        for student in self.students:  # certificates are made before the clock of a phase starts
            student.user = self.pki.make_user(iin=self.new_iin(), name="СТУДЕНТОВА АЙГЕРИМ НУРЛАНОВНА")
        self.run_phase("EDS registration", self.students, self.register)
        self.run_phase("enrolment rosters", sorted({s.university_id for s in self.live()}), self.roster)
        self.run_phase("search and apply", self.live(), self.apply)
        self.run_phase("interview booking", self.live(), self.book)
        self.run_phase("acceptance (bulk/site)", self.sites, self.accept)
        self.run_phase("attendance (bulk/site)", self.attendance_days(), self.log_day)
        self.run_phase("confirmations (bulk)", self.live(), self.confirm)
        self.run_phase("completion reports", self.live(), self.report)
        self.run_phase("review: unflagged bulk", [None], self.accept_unflagged)
        self.run_phase("review: one by one", self.awaiting_review(), self.review)
        self.run_phase("payout details", self.live(), self.payout_details)
        self.run_phase("payouts via the bank", [None], self.wait_for_payouts)
        self.run_phase("credit confirms (bulk)", self.registrar_queues(), self.confirm_credits)

    def live(self):
        return [student for student in self.students if not student.failed]

    def register(self, student):
        address = client_address(student.index)
        challenge = self.call("POST", f"{API}/auth/challenge", headers=address, params={"agreement_language": "kk"})
        token = self.call("POST", f"{API}/auth/register", headers=address, json={
            "nonce": challenge["nonce"], "signature": sign_nonce(student.user, challenge),
            "university_id": student.university_id, "agreement_version": challenge["agreement_version"],
            "agreement_language": "kk", "region": student.site.region, "phone": "+77011234567", "language": "kk"})
        student.student_id, student.headers = token["user_id"], self.student_bearer(student, token, address)

    def roster(self, university_id):
        """The university's registrar confirms its registered students' enrolment by a roster CSV, as
        staff would (a file a request: at most 20,000 rows)."""
        iins = [student.user.iin for student in self.live() if student.university_id == university_id]
        headers = {"Authorization": self.registrars[university_id]["Authorization"], "Content-Type": "text/csv"}
        for start in range(0, len(iins), ROSTER_ROWS):
            csv = "iin,decision\n" + "".join(f"{iin},confirm\n" for iin in iins[start:start + ROSTER_ROWS])
            self.call("POST", f"{API}/enrolments/roster", headers=headers, data=csv.encode())

    def student_bearer(self, student, token, address):
        refresh = [token["refresh_token"]]

        def renew():
            """Through the refresh token; when that is refused, signed in again with the EDS, as a person
            would (a refresh sent again after its answer was lost presents a used token, and registry
            then revokes every token of the student)."""
            try:
                answer = self.call("POST", f"{API}/auth/refresh", headers=address, json={"refresh_token": refresh[0]})
            except StepFailed:
                challenge = self.call("POST", f"{API}/auth/challenge", headers=address)
                answer = self.call("POST", f"{API}/auth/login", headers=address, json={
                    "nonce": challenge["nonce"], "signature": sign_nonce(student.user, challenge)})
            refresh[0] = answer["refresh_token"]
            return answer["access_token"]
        return RenewedBearer(renew, token["access_token"])

    def apply(self, student):
        site = student.site
        found = self.call("GET", f"{API}/projects", headers=student.headers, params={
            "region": site.region, "direction": site.direction, "voucher_kind": site.voucher_kind,
            "q": f"Season project {site.index + 1}", "has_free_places": "true"})
        if site.project_id not in {project["id"] for project in found["items"]}:
            raise StepFailed(f"the search did not find project {site.project_id}")
        # 422 while the roster's confirmation is on its way to placement
        student.application_id = self.call("POST", f"{API}/projects/{site.project_id}/applications",
                                           headers=student.headers, json={}, eventual=(422,))["id"]

    def book(self, student):
        slot_id = student.site.slot_ids[student.site.students.index(student)]
        self.call("POST", f"{API}/applications/{student.application_id}/interview", headers=student.headers,
                  json={"slot_id": slot_id})

    def accept(self, site):
        """The site's coordinator accepts its interviewed students, a page of outcomes a request (sent
        again after the gateway gave up: an outcome already recorded answers as it is). Pages of 200
        from every site at once kept placement past the gateway's deadline, and each retry added to it."""
        students = {s.application_id: s for s in site.students if s.application_id and not s.failed}
        ids = list(students)
        for start in range(0, len(ids), OUTCOMES_PAGE):
            answer = self.call("POST", f"{API}/applications/outcomes", headers=site.coordinator, eventual=(503,),
                               json={"decisions": [{"application_id": application_id, "outcome": "accepted"}
                                                   for application_id in ids[start:start + OUTCOMES_PAGE]]})
            for row in answer["results"]:
                student = students[row["application_id"]]
                if row["status"] == 200:
                    student.placement_id = row["application"]["placement_id"]
                else:
                    student.failed = f"acceptance: {row['error']}"

    def attendance_days(self):
        today = local_today()
        return [(site, today - dt.timedelta(days=day)) for site in self.sites
                for day in range(1, ATTENDANCE_DAYS + 1)]

    def log_day(self, site_day):
        """One day at one site, `day_rows` students a request, each under an Idempotency-Key so that a
        request the gateway gave up on (503) is sent again safely; rows refused because timesheet has
        not heard of the placement yet are sent again under a new key."""
        site, day = site_day
        rows = [{"placement_id": student.placement_id, "note": "Afternoon club",
                 "hours": str(Decimal(student.voucher.hours) / ATTENDANCE_DAYS)}
                for student in site.students if student.placement_id and not student.failed]
        deadline = time.monotonic() + self.timeout
        for start in range(0, len(rows), self.day_rows):
            pending, attempt = rows[start:start + self.day_rows], 0
            while pending:
                key = f"season-{site.site_id}-{day}-{start}-{attempt}"
                answer = self.call("POST", f"{API}/hours/days", eventual=(503,), json={
                    "work_date": day.isoformat(), "rows": pending}, headers={**site.coordinator,
                                                                             "Idempotency-Key": key})
                refused = [row for row in answer["results"] if row["status"] != 201]
                late = time.monotonic() > deadline
                for row in refused:
                    if row["status"] != 404 or late:
                        self.fail_placement(site, row["placement_id"], f"attendance {day}: {row['error']}")
                pending = [] if late else [pending[row["index"]] for row in refused if row["status"] == 404]
                attempt += 1
                if pending:
                    self.phase.record(0, retry=True)
                    time.sleep(0.2)

    def fail_placement(self, site, placement_id, reason):
        for student in site.students:
            if student.placement_id == placement_id and not student.failed:
                student.failed = reason

    def confirm(self, student):
        entries = self.call("GET", f"{API}/hours", headers=student.headers,
                            params={"status": "pending", "limit": PAGE})["items"]
        # Sent again when the gateway gave up waiting (503): rows confirmed the first time are then
        # refused as already confirmed, which is what the student wanted.
        answer = self.call("POST", f"{API}/hours/confirm", headers=student.headers, eventual=(503,),
                           json={"entry_ids": [entry["id"] for entry in entries]})
        refused = [row for row in answer["results"]
                   if row["status"] != 200 and (row["error"]["fields"] or {}).get("status") != ["confirmed"]]
        if refused or len(entries) != ATTENDANCE_DAYS:
            raise StepFailed(f"{len(entries)} entries, refused confirmations: {refused[:2]}")

    def report(self, student):
        """The site signs the report's PDF with its head's EDS (detached CMS) and submits it."""
        site = student.site
        document = self.call("GET", f"{API}/placements/{student.placement_id}/report-document",
                             headers=site.coordinator, raw=True)
        student.report_id = self.call("POST", f"{API}/reports", headers=site.coordinator, json={
            "placement_id": student.placement_id, "signature": sign_document(site.signer, document)})["id"]

    def accept_unflagged(self, _):
        """The Operator accepts the submitted reports no risk flag or sample sets aside, in bulk."""
        while self.call("POST", f"{API}/reports/reviews", headers=self.operator, eventual=(503,),
                        json={"filter": {}, "limit": MAX_BULK_REVIEW})["accepted"]:
            pass

    def awaiting_review(self):
        """The students whose reports the Operator's queue still holds after the bulk acceptance (flagged
        or sampled), as the Operator lists it: a report accepted by a bulk request whose answer was lost
        on the way is not there to review again."""
        waiting = {item["id"] for item in self.all_pages(f"{API}/reports", self.operator, status="submitted")}
        return [student for student in self.live() if student.report_id in waiting]

    def review(self, student):
        """A report set aside (flagged or sampled): looked at and accepted on its own."""
        self.call("POST", f"{API}/reports/{student.report_id}/review", headers=self.operator,
                  json={"decision": "accept"})

    def payout_details(self, student):
        details = {"iban": student_iban(student.index), "iin": student.user.iin, "holder_name": "AIGERIM NURLANOVNA"}
        # confirmed as by the student's EDS signature over them (a step-up the registry would give)
        step_up = issue_step_up(self.signing_key, student.student_id, "payout-details",
                                load(PayoutDetailsIn, details))
        self.call("PUT", f"{API}/me/payout-details", headers={**student.headers, STEP_UP_HEADER: step_up},
                  json=details)

    def wait_for_payouts(self, _):
        """The Operator watches the payouts list until every live student's payout is paid."""
        expected = len(self.live())
        deadline = time.monotonic() + self.timeout + expected * 0.05
        while True:
            paid = self.call("GET", f"{API}/payouts", headers=self.operator,
                             params={"status": "paid", "limit": 1})["total"]
            if paid >= expected or time.monotonic() > deadline:
                return
            time.sleep(0.5)

    def registrar_queues(self):
        """Each university's registrar and how many re-count requests its queue will hold."""
        expected = {}
        for student in self.live():
            expected[student.university_id] = expected.get(student.university_id, 0) + 1
        return list(expected.items())

    def confirm_credits(self, university_queue):
        """The registrar confirms the queue's pending requests a page at a time, each page under one
        order in one request (waiting while requests arrive), until all the university's are confirmed."""
        university_id, expected = university_queue
        headers, confirmed, deadline = self.registrars[university_id], 0, time.monotonic() + self.timeout
        while confirmed < expected and time.monotonic() < deadline:
            pending = self.call("GET", f"{API}/credits/requests", headers=headers,
                                params={"status": "pending", "limit": CREDITS_PAGE})["items"]
            if not pending:
                time.sleep(0.5)
                continue
            answer = self.call("POST", f"{API}/credits/requests/confirmations", headers=headers, eventual=(503,), json={
                "discipline": "Social practice", "order_number": "No. 128-П", "order_date": local_today().isoformat(),
                "requests": [{"request_id": item["id"]} for item in pending]})
            confirmed += sum(1 for row in answer["results"] if row["status"] == 200)

    # The check at the end

    def check(self):
        self.phase = PhaseStats("final check", started=time.monotonic())
        self.phases.append(self.phase)
        problems = [f"student {s.index}: {s.failed}" for s in self.students if s.failed][:50]
        try:
            problems += self.check_payouts() + self.check_credits() + self.check_students_views()
            problems += self.check_ledger()
        except StepFailed as exc:
            problems.append(f"final check: {exc}")
        self.phase.finished = time.monotonic()
        return problems

    def all_pages(self, path, headers, page_size=PAGE, **params):
        items, offset = [], 0
        while True:
            page = self.call("GET", path, headers=headers, params={**params, "limit": page_size, "offset": offset})
            items += page["items"]
            offset += page_size
            if offset >= page["total"]:
                return items

    def check_payouts(self):
        """As the Operator sees them: one payout per student, paid, of the voucher's reward."""
        payouts = {}
        for payout in self.all_pages(f"{API}/payouts", self.operator):
            payouts.setdefault(payout["student_id"], []).append(payout)
        problems = []
        for student in self.students:
            mine = payouts.pop(student.student_id, [])
            expected = [(student.voucher.reward_kzt, "paid")]
            if [(p["amount_kzt"], p["status"]) for p in mine] != expected:
                problems.append(f"student {student.index}: payouts {[(p['amount_kzt'], p['status']) for p in mine]}"
                                f", expected {expected}")
        problems += [f"payouts to an unknown student {student_id}" for student_id in payouts]
        return problems

    def check_credits(self):
        """As each registrar sees the university's queue: one confirmed request per student with the
        voucher's credits, nothing pending."""
        requests_of = {}
        for university_id, headers in self.registrars.items():
            for item in self.all_pages(f"{API}/credits/requests", headers, CREDITS_PAGE):
                requests_of.setdefault(item["student_id"], []).append((item["credits"], item["status"]))
        problems = []
        for student in self.students:
            expected = [(student.voucher.credits, "confirmed")]
            found = requests_of.pop(student.student_id, [])
            if found != expected:
                problems.append(f"student {student.index}: credit requests {found}, expected {expected}")
        problems += [f"credit requests of an unknown student {student_id}" for student_id in requests_of]
        return problems

    def check_students_views(self):
        """A sample of students read their own payouts and credits."""
        sample = self.rng.sample(self.students, min(SAMPLE_STUDENTS, len(self.students)))
        problems = []

        def look(student):
            if not student.headers:
                return
            mine = self.call("GET", f"{API}/payouts", headers=student.headers)["items"]
            credits = self.call("GET", f"{API}/students/me/credits", headers=student.headers)
            paid = [(p["amount_kzt"], p["status"]) for p in mine]
            if paid != [(student.voucher.reward_kzt, "paid")] or credits["total_credits"] != student.voucher.credits:
                problems.append(f"student {student.index} sees payouts {paid} and "
                                f"{credits['total_credits']} credits")

        list(self.pool.map(look, sample))
        return problems

    def check_ledger(self):
        reconciliation = self.call("POST", f"{API}/reconciliations", headers=self.operator)
        if not (reconciliation["clean"] and reconciliation["ledger_balanced"]):
            return [f"reconciliation with the bank is not clean: {reconciliation['mismatches'][:5]}"]
        return []


def student_iban(number):
    """A valid KZ IBAN at a known bank, different for each number."""
    return kz_iban("601", f"KZT{number:010d}")
