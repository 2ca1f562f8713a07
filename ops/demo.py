"""Demo mode: a local run a person can walk through in the browser, with nothing but `./platform start`.

On first start it makes, under `var/demo/` (`DEMO_FOLDER`):
- a demo certificate authority (root + issuing CA, GOST 2015 keys) issued by `ops/gost_pki.py`, the same
  code as the test suite's PKI; the registry trusts it as a test CA (`EDS_TEST_TRUST_STORE`) in demo
  mode only, and refuses it among production CAs (`services/registry/eds.py`, `DEMO_AUTHORITY`);
- demo people for every role, each with a certificate and its private key (`people.json`).

`seed(base_url)` then makes the demo's staff, organisations, sites, projects, interview slots and
students through the HTTP API, signed by the demo people's keys exactly as real people sign: safe on
every start (what exists is left alone; interview slots are topped up so some are always ahead).

    python -m ops.demo prepare                 # the authority and the people (prints the registry's files)
    python -m ops.demo seed --url http://127.0.0.1:8000
    python -m ops.demo people                  # who is who, and what to try first
    python -m ops.demo check-bind 0.0.0.0:8000 # refused unless DEMO_MODE_FORCE=1
"""
import argparse
import base64
import datetime as dt
import ipaddress
import json
import os
import sys
import threading
import time
from zoneinfo import ZoneInfo

from asn1crypto import x509

from common import programme
from ops import gost_pki
from services.registry.eds import DEMO_AUTHORITY

DEFAULT_FOLDER = os.path.join("var", "demo")
ALMATY = ZoneInfo(programme.TIMEZONE)

SCHOOL_BIN, CENTRE_BIN = "940140000385", "050540004455"
ORGANISATIONS = [
    {"key": "school", "bin": SCHOOL_BIN, "name": "Школа-гимназия № 12", "kind": "school", "region": "KZ-71",
     "address": "Астана, пр. Абая, 10", "phone": "+77172000012", "email": "school12@demo.example.kz",
     "officer": "mio", "sites": [
         {"key": "school-main", "name": "Школа-гимназия № 12", "address": "Астана, пр. Абая, 10", "city": "Astana",
          "directions": ["tutoring", "inclusive_education"], "online": False},
         {"key": "school-club", "name": "Детский клуб «Есиль»", "address": "Астана, ул. Кенесары, 44",
          "city": "Astana", "directions": ["childrens_leisure"], "online": False}]},
    {"key": "centre", "bin": CENTRE_BIN, "name": "ОФ «Мейірім»", "kind": "ngo", "region": "KZ-75",
     "address": "Алматы, ул. Толе би, 101", "phone": "+77272000101", "email": "meirim@demo.example.kz",
     "officer": "nvs", "sites": [
         {"key": "centre-online", "name": "Мейірім онлайн", "address": "Алматы, ул. Толе би, 101", "city": "Almaty",
          "directions": ["tutoring", "deviant_behaviour"], "online": True},
         {"key": "centre-care", "name": "Дневной центр «Мейірім»", "address": "Алматы, мкр. Самал-2, 58",
          "city": "Almaty", "directions": ["elderly_care"], "online": False}]},
]

# Who the demo people are: key, role, name, how their certificate reads, and what to try first.
# `certificate`: individual, head (the organisation's first head) or employee (of the organisation).
PEOPLE = [
    {"key": "student", "role": "student", "name": "СЕРИКОВА АЙЖАН БОЛАТОВНА", "university": "ENU",
     "about": "a student of ENU, Astana", "try": "find a project, apply, book an interview"},
    {"key": "student-2", "role": "student", "name": "КАСЫМОВ ДАНИЯР ЕРЛАНОВИЧ", "university": "KAZNU",
     "about": "a student of KazNU, Almaty",
     "try": "search online projects (KazNU has not confirmed the enrolment yet: browse, not apply)"},
    {"key": "coordinator", "role": "coordinator", "name": "СЕЙТКАЛИЕВ БОЛАТ", "certificate": "employee",
     "organisation": "school", "site": "school-main", "about": "coordinator of School-gymnasium No. 12",
     "try": "applicants: accept the student; attendance: log hours; reports: submit"},
    {"key": "coordinator-club", "role": "coordinator", "name": "ЖУМАБАЕВА ГУЛЬНАР", "certificate": "employee",
     "organisation": "school", "site": "school-club", "about": "coordinator of the Yessil children's club",
     "try": "projects: add interview slots"},
    {"key": "coordinator-online", "role": "coordinator", "name": "ТЕН ВИКТОРИЯ", "certificate": "employee",
     "organisation": "centre", "site": "centre-online", "about": "coordinator of Meyirim online",
     "try": "applicants"},
    {"key": "coordinator-care", "role": "coordinator", "name": "АБДРАХМАНОВ НУРЛАН", "certificate": "employee",
     "organisation": "centre", "site": "centre-care", "about": "coordinator of the Meyirim day-care centre",
     "try": "attendance"},
    {"key": "head-school", "role": "coordinator", "name": "ОМАРОВ ЕРЛАН", "certificate": "head",
     "organisation": "school", "about": "head of School-gymnasium No. 12 (signed its application)",
     "try": "sign in as the organisation's representative: its sites and coordinators"},
    {"key": "head-centre", "role": "coordinator", "name": "ИСКАКОВА САУЛЕ", "certificate": "head",
     "organisation": "centre", "about": "head of the Meyirim foundation (signed its application)",
     "try": "sign in as the organisation's representative"},
    {"key": "mio", "role": "mio_officer", "name": "АХМЕТОВА ДИНА", "region": "KZ-71",
     "about": "MIO officer of Astana", "try": "organisations: accredit an applicant; the region's dashboard"},
    {"key": "nvs", "role": "nvs_officer", "name": "ПАК ИГОРЬ", "region": "KZ-75",
     "about": "NVS officer of Almaty", "try": "organisations of Almaty"},
    {"key": "operator", "role": "operator", "name": "НУРЛАНОВА ДАНА", "about": "the Operator (Financial Centre)",
     "try": "report queue: accept a report; payouts; reconciliation"},
    {"key": "registrar", "role": "registrar", "name": "БЕКОВА АЛИЯ", "university": "ENU",
     "about": "registrar of ENU",
     "try": "enrolment: confirm a new student (or a roster CSV); recounts: confirm a student's credits"},
    {"key": "ministry", "role": "ministry", "name": "ТОКТАРОВ АСКАР", "about": "the Ministry",
     "try": "the dashboard: coverage by region and direction"},
    {"key": "admin", "role": "admin", "name": "ЖАКСЫБЕКОВ АРМАН", "about": "the platform's admin",
     "try": "the API: staff users and the audit log"},
]

PROJECTS = {
    "coordinator": [
        {"title": "Математика для пятиклассников", "description": "Помогать ученикам с дробями и задачами "
         "после уроков, два дня в неделю.", "direction": "tutoring", "voucher_kind": "h20",
         "places": 5, "schedule": "пн, ср 15:00-17:00", "online": False, "languages": ["kk", "ru"]},
        {"title": "Помощник в инклюзивном классе", "description": "Поддерживать детей с особыми "
         "потребностями на уроках, рядом с учителем.", "direction": "inclusive_education", "voucher_kind": "h50",
         "places": 3, "schedule": "вт, чт 09:00-13:00", "online": False, "languages": ["ru"]}],
    "coordinator-club": [
        {"title": "Клуб выходного дня", "description": "Настольные игры, спорт и поделки с детьми района "
         "по субботам.", "direction": "childrens_leisure", "voucher_kind": "h20", "places": 8,
         "schedule": "сб 10:00-14:00", "online": False, "languages": ["kk", "ru"]}],
    "coordinator-online": [
        {"title": "Онлайн-помощь с английским", "description": "Видеозвонки с учениками сельских школ: "
         "домашние задания по английскому и чтение.", "direction": "tutoring", "voucher_kind": "h20", "places": 10,
         "schedule": "вечером, по договорённости", "online": True, "languages": ["ru"]}],
    "coordinator-care": [
        {"title": "Дневные встречи с пожилыми", "description": "Прогулки, чтение вслух и помощь с телефонами "
         "для посетителей дневного центра.", "direction": "elderly_care", "voucher_kind": "h50",
         "places": 4, "schedule": "пн-пт 14:00-17:00", "online": False, "languages": ["kk", "ru"]}],
}
SLOTS_AHEAD = 6  # free interview slots each project keeps ahead of now


class DemoAuthority:
    """The demo CA and its people, kept in `folder` (made on first use, read after)."""

    def __init__(self, folder=DEFAULT_FOLDER):
        self.folder = folder
        self.path = os.path.join(folder, "people.json")
        self._lock = threading.Lock()
        if os.path.exists(self.path):
            with open(self.path) as f:
                state = json.load(f)
            cas = tuple(_issued(state["ca"][name]) for name in ("root", "intermediate"))
            cas[1].chain = [cas[0]]
            self.pki = gost_pki.GostTestPki(folder=folder, cas=cas)
            self.people = state["people"]
        else:
            os.makedirs(folder, exist_ok=True)
            self.pki = gost_pki.GostTestPki("STUDENT VOUCHER DEMO", folder=folder, organisation=DEMO_AUTHORITY)
            self.people = []
            for person in PEOPLE:
                self._issue(dict(person))
            self._save()

    @property
    def registry_config(self):
        """What the registry needs to trust the demo CA, as a test CA."""
        return {"EDS_TEST_TRUST_STORE": self.pki.trust_store_path, "EDS_CRL_FILE": self.pki.crl_path}

    def person(self, key):
        person = next((p for p in self.people if p["key"] == key), None)
        if person is None:
            raise KeyError(key)
        return person

    def public(self, person):
        """A person as the portal shows them: no key."""
        return {k: person[k] for k in ("key", "role", "name", "iin", "about", "try", "certificate")
                if k in person} | {"organisation": person.get("organisation_name")}

    def sign(self, key, data):
        """Base64 CMS SignedData over `data` (bytes), as NCALayer's `basics.sign` makes it."""
        return gost_pki.gost_cms(self._issued_person(self.person(key)), data)

    def new_student(self):
        """A fresh demo student with a new key (registers through the portal as any student does)."""
        with self._lock:
            number = sum(1 for p in self.people if p["key"].startswith("new-student-")) + 1
            person = self._issue({"key": f"new-student-{number}", "role": "student",
                                  "name": f"ДЕМО СТУДЕНТ {number}", "about": "a new demo student, not registered yet",
                                  "try": "register, then find a project"})
            self._save()
        return person

    def _issue(self, person):
        certificate = person.setdefault("certificate", "individual")
        organisation = next((o for o in ORGANISATIONS if o["key"] == person.get("organisation")), None)
        usages = {"individual": gost_pki.INDIVIDUAL, "head": gost_pki.LEGAL_HEAD,
                  "employee": gost_pki.LEGAL_EMPLOYEE}[certificate]
        options = {}
        if organisation and certificate != "individual":
            options = {"bin_": organisation["bin"], "organisation_name": organisation["name"]}
            person["bin"], person["organisation_name"] = organisation["bin"], organisation["name"]
        issued = self.pki.make_user(name=person["name"], usages=usages,
                                    not_after=dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
                                    + dt.timedelta(days=3 * 365), **options)
        person.update(iin=issued.iin, cert=base64.b64encode(issued.certificate.dump()).decode(),
                      private_key=hex(issued.key.private))
        self.people.append(person)
        return person

    def _issued_person(self, person):
        certificate = x509.Certificate.load(base64.b64decode(person["cert"]))
        return gost_pki.Issued(certificate, gost_pki.GostKey(int(person["private_key"], 16)),
                               chain=[self.pki.intermediate], iin=person["iin"], name=person["name"])

    def _save(self):
        state = {"ca": {name: _state_of(getattr(self.pki, name)) for name in ("root", "intermediate")},
                 "people": self.people}
        gost_pki._write(self.path, json.dumps(state, ensure_ascii=False, indent=1).encode("utf-8"))
        os.chmod(self.path, 0o600)  # private keys, if only demo ones


def _state_of(issued):
    return {"certificate": base64.b64encode(issued.certificate.dump()).decode(), "key": hex(issued.key.private)}


def _issued(state):
    return gost_pki.Issued(x509.Certificate.load(base64.b64decode(state["certificate"])),
                           gost_pki.GostKey(int(state["key"], 16)))


# Where demo mode may run

def bind_refusal(address, forced=False):
    """Why a gateway listening on `address` ("host:port") must not run in demo mode, or None: demo keys
    sign for anyone who asks, so only this machine may reach it, unless the operator forces it."""
    host = address.rsplit(":", 1)[0].strip("[]") or "0.0.0.0"
    if host == "localhost":
        return None
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if loopback or forced:
        return None
    return (f"demo mode refuses a gateway bound to {host}, reachable from other machines: bind it to "
            "127.0.0.1 (GATEWAY_ADDRESS) or set DEMO_MODE_FORCE=1 for a demo on a private network")


# Seeding through the API

class Seeder:
    """The demo's reference data through the HTTP API, signed by the demo people; safe to repeat."""

    def __init__(self, authority, base_url, say=print):
        import requests
        self.authority, self.base_url, self.say = authority, base_url.rstrip("/") + "/api/v1", say
        self.http = requests.Session()
        self.tokens = {}

    def seed(self):
        today = dt.datetime.now(ALMATY).date()
        self._staff()
        organisations = {spec["key"]: self._organisation(spec) for spec in ORGANISATIONS}
        self._coordinators(organisations)
        for key, projects in PROJECTS.items():
            for project in projects:
                self._project(key, project, today)
        for person in self.authority.people:
            if person["role"] == "student" and not person["key"].startswith("new-student-"):
                self._student(person)

    def _staff(self):
        existing = {s["iin"] for s in self._all("/staff", self._auth("admin"))}
        universities = {u["code"]: u for u in self._call("GET", "/universities")}
        for person in self.authority.people:
            if person["role"] not in ("mio_officer", "nvs_officer", "operator", "registrar", "ministry") \
                    or person["iin"] in existing:
                continue
            body = {"iin": person["iin"], "full_name": person["name"], "role": person["role"]}
            if person.get("region"):
                body["region"] = person["region"]
            if person["role"] == "registrar":
                body["university_id"] = universities[person["university"]]["id"]
            self._call("POST", "/staff", body, self._auth("admin"))

    def _organisation(self, spec):
        officer = self._auth(spec["officer"])
        found = [o for o in self._all("/organisations", officer, region=spec["region"]) if o["bin"] == spec["bin"]]
        organisation = found[0] if found else None
        if organisation is None:
            head = next(p for p in self.authority.people if p.get("organisation") == spec["key"]
                        and p["certificate"] == "head")
            body = {k: spec[k] for k in ("bin", "name", "kind", "region", "address", "phone", "email")}
            body["sites"] = [{k: v for k, v in site.items() if k != "key"} for site in spec["sites"]]
            organisation = self._call("POST", "/organisations", {**body, **self._signed(head["key"])})
        if organisation["status"] == "pending":
            organisation = self._call("POST", f"/organisations/{organisation['id']}/accredit", None, officer)
        return organisation

    def _coordinators(self, organisations):
        existing = {s["iin"] for s in self._all("/staff", self._auth("admin"))}
        for person in self.authority.people:
            if person["role"] != "coordinator" or person["certificate"] != "employee" or person["iin"] in existing:
                continue
            organisation = organisations[person["organisation"]]
            site = next(s for s in organisation["sites"] if s["name"] == site_of(person)["name"])
            self._call("POST", "/staff", {"iin": person["iin"], "full_name": person["name"], "role": "coordinator",
                                          "organisation_id": organisation["id"], "site_id": site["id"]},
                       self._auth("admin"))

    def _project(self, coordinator, spec, today):
        headers = self._auth(coordinator)
        found = [p for p in self._eventually(lambda: self._all("/projects", headers, q=spec["title"]))
                 if p["title"] == spec["title"]]
        if found:
            project = found[0]
        else:
            body = {**spec, "starts_on": (today - dt.timedelta(days=14)).isoformat(),
                    "ends_on": (today + dt.timedelta(days=120)).isoformat()}
            # the site reaches placement by an event a moment after its accreditation
            project = self._eventually(lambda: self._call("POST", "/projects", body, headers), retry_on=(403, 422))
        slots = self._call("GET", f"/projects/{project['id']}/slots", None, headers)["items"]
        now = dt.datetime.now(dt.timezone.utc)
        ahead = [s for s in slots if not s["booked"] and dt.datetime.fromisoformat(s["starts_at"]) > now]
        if len(ahead) < SLOTS_AHEAD:
            latest = max([dt.datetime.fromisoformat(s["starts_at"]) for s in slots] + [now])
            start = max(latest, now).astimezone(ALMATY).replace(minute=0, second=0, microsecond=0)
            times = []
            while len(times) < SLOTS_AHEAD - len(ahead):
                start += dt.timedelta(hours=1)
                if 9 <= start.hour < 18:  # office hours in Almaty
                    times.append(start)
            where = {"online_link": "https://meet.example.kz/demo"} if spec["online"] \
                else {"address": site_of(self.authority.person(coordinator))["address"]}
            self._call("POST", f"/projects/{project['id']}/slots",
                       {"slots": [{"starts_at": t.isoformat(), **where} for t in times]}, headers)

    def _student(self, person):
        """Signs the demo student in, or registers them; either way by signing the accession agreement
        (kept once per version), so a student from an older demo joins the current one too."""
        answer = self.http.post(f"{self.base_url}/auth/login", json=self._signed(person["key"], "ru"), timeout=30)
        universities = {u["code"]: u for u in self._call("GET", "/universities")}
        university = universities[person["university"]]
        if answer.status_code == 200:
            token = answer.json()
        else:
            token = self._call("POST", "/auth/register", {
                **self._signed(person["key"], "ru"), "region": university["region"],
                "university_id": university["id"], "phone": "+77010000000",
                "email": f"{person['key']}@demo.example.kz", "language": "ru"})
        registrar = next((p for p in self.authority.people if p["role"] == "registrar"
                          and p["university"] == person["university"]), None)
        if registrar is not None:  # the university's registrar confirms the enrolment (others stay pending)
            self._call("POST", f"/students/{token['user_id']}/enrolment", {"decision": "confirm"},
                       self._auth(registrar["key"]))

    # Signing in and calling

    def _signed(self, key, agreement_language=None):
        """A sign-in body signed by the demo person `key`; with `agreement_language`, over the accession
        agreement in that language."""
        query = {"agreement_language": agreement_language} if agreement_language else {}
        challenge = self._call("POST", "/auth/challenge", **query)
        agreement = {"agreement_version": challenge["agreement_version"],
                     "agreement_language": agreement_language} if agreement_language else {}
        return {"nonce": challenge["nonce"],
                "signature": self.authority.sign(key, challenge["data_to_sign"].encode("utf-8")), **agreement}

    def _auth(self, key):
        if key not in self.tokens:
            token = self._call("POST", "/auth/login", self._signed(key))
            self.tokens[key] = {"Authorization": f"Bearer {token['access_token']}"}
        return self.tokens[key]

    def _call(self, method, path, body=None, headers=None, **params):
        for _ in range(20):
            answer = self.http.request(method, self.base_url + path, json=body, headers=headers,
                                       params=params or None, timeout=30)
            if answer.status_code != 429:  # the sign-in limit: wait as it says
                break
            time.sleep(float(answer.headers.get("Retry-After") or 3))
        if answer.status_code >= 300:
            raise SeedError(answer.status_code, f"{method} {path}: {answer.status_code} {answer.text[:300]}")
        return answer.json()

    def _all(self, path, headers, **params):
        return self._call("GET", path, None, headers, limit=200, **params)["items"]

    @staticmethod
    def _eventually(attempt, retry_on=(), seconds=20):
        deadline = time.monotonic() + seconds
        while True:
            try:
                return attempt()
            except SeedError as error:
                if error.status not in retry_on or time.monotonic() > deadline:
                    raise
            time.sleep(0.25)


def site_of(person):
    organisation = next(o for o in ORGANISATIONS if o["key"] == person["organisation"])
    return next(s for s in organisation["sites"] if s["key"] == person["site"])


class SeedError(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def bootstrap_admin(authority):
    from ops.manage import bootstrap_admin as create
    admin = authority.person("admin")
    create(admin["iin"], admin["name"])


def people_table(authority, url):
    lines = [f"Demo people (sign in at {url}/ with the demo signer: \"Sign in with EDS\", then pick one):"]
    for person in authority.people:
        if person["key"].startswith("new-student-"):
            continue
        lines.append(f"  {person['name']:<28} {person['role']:<12} {person['about']}; try: {person['try']}")
    lines.append("  or \"a new demo student\" in the demo signer, to register as a fresh student")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m ops.demo")
    parser.add_argument("--folder", default=os.environ.get("DEMO_FOLDER", DEFAULT_FOLDER))
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="the demo CA and people; prints the registry's settings")
    seed_cmd = commands.add_parser("seed", help="staff, organisations, projects and students through the API")
    seed_cmd.add_argument("--url", default="http://127.0.0.1:8000")
    people_cmd = commands.add_parser("people", help="who is who, and what to try first")
    people_cmd.add_argument("--url", default="http://127.0.0.1:8000")
    bind_cmd = commands.add_parser("check-bind", help="refuse a non-loopback gateway address")
    bind_cmd.add_argument("address")
    args = parser.parse_args(argv)
    if args.command == "check-bind":
        refusal = bind_refusal(args.address, os.environ.get("DEMO_MODE_FORCE", "") not in ("", "0"))
        if refusal:
            print(refusal, file=sys.stderr)
            return 1
        return 0
    authority = DemoAuthority(args.folder)
    if args.command == "prepare":
        for key, value in authority.registry_config.items():
            print(f"export {key}={value}")
    elif args.command == "seed":
        bootstrap_admin(authority)
        Seeder(authority, args.url).seed()
    else:
        print(people_table(authority, args.url))
    return 0


if __name__ == "__main__":
    sys.exit(main())
