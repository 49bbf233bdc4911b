#!/usr/bin/env python3
"""Writes the ABC Pharmaceuticals example data: profiles.ndjson and events.ndjson.

The scenario is the one every Tutti release must play (see README.md):
Empire Health adds GLIDIM to its formulary, the win fans out to the
account's 3,091 prescribers, a doctor's e-mail reply becomes a case, the
call center's medical question goes to an MSL, the doctor's colleagues ask
for a rep visit, and prescriptions follow.

Deterministic: a fixed seed and no clock, so running it again gives the same
bytes. Python 3 standard library only.

    python3 generate.py            # writes next to this file
    python3 generate.py --out DIR
"""

import argparse
import datetime as dt
import json
import os
import random

SEED = 20260302
EMPIRE_PRESCRIBERS = 3091  # the scenario's number: do not change

# ---------------------------------------------------------------- names

FIRST = """Aaron Abigail Adaeze Adrian Aisha Alan Alejandro Alice Amara Amir Ana Andrew
Anjali Anna Anthony Arjun Ava Beatrice Benjamin Bianca Brian Caleb Camila Carla
Caroline Catherine Charles Chen Chloe Christopher Claire Daniel David Deborah Diego
Dmitri Eleanor Elena Eli Emily Emma Eric Esther Ethan Fatima Felix Fiona Gabriel
Grace Hannah Harold Hassan Helen Henry Ibrahim Irene Isaac Isabel Jacob James Jamal
Jane Javier Jennifer Jessica Joel John Jonathan Jordan Joseph Julia Karen Kevin
Kwame Laura Leah Leo Liam Linda Lucas Lucia Maria Mark Martin Maya Mei Michelle
Miguel Mohammed Nadia Nathan Nicole Nina Noah Olga Omar Paul Pedro Rachel Rafael
Rebecca Richard Robert Rosa Ruth Samuel Sandra Sara Sean Sophia Stephen Susan
Tariq Thomas Valentina Victor William Xavier Yusuf Zoe""".split()

LAST = """Abbott Adeyemi Aguilar Ahmed Alvarez Anderson Bailey Baker Banerjee Barnes
Bauer Bell Bennett Brooks Brown Burke Byrne Campbell Carter Castro Chang Chen
Cohen Collins Cooper Costa Cruz Daniels Das Davis Diaz Dixon Dunn Edwards Ellis
Evans Feldman Fernandez Fischer Fitzgerald Flores Foster Friedman Garcia Goldberg
Gomez Gonzalez Gordon Green Gupta Hall Harris Hayes Hernandez Hill Hoffman Horowitz
Huang Hughes Jackson James Jensen Johnson Jones Kaplan Katz Kelly Khan Kim King
Klein Kowalski Kumar Lam Lambert Levy Lewis Lin Lopez Marino Martin Martinez
Mehta Meyer Miller Mitchell Moore Morales Morgan Murphy Murray Nair Nguyen Novak
O'Brien Okonkwo Ortiz Owens Patel Perez Perry Phillips Price Quinn Ramirez Reed
Reyes Richardson Rivera Roberts Robinson Rodriguez Rosen Ross Russo Sanchez
Santos Schwartz Scott Shah Shapiro Silva Singh Smith Sokolov Stein Stewart
Sullivan Tan Taylor Thomas Thompson Torres Turner Vargas Walker Wang Ward Weiss
White Williams Wilson Wong Wright Wu Yang Young Zhang""".split()

# ---------------------------------------------------------------- geography
# (city, state, IANA zone, territory, rep) per region of each account.

EMPIRE_AREAS = [
    # weight, cities, state, zone, territory, rep
    (58, ["New York", "Brooklyn", "Bronx", "Queens", "Staten Island"], "NY",
     "America/New_York", "NY-Metro", "michael"),
    (14, ["Hempstead", "Garden City", "Huntington", "Stony Brook", "Mineola"], "NY",
     "America/New_York", "Long Island", "sofia"),
    (16, ["White Plains", "Yonkers", "Poughkeepsie", "Newburgh", "Kingston"], "NY",
     "America/New_York", "Hudson Valley", "daniel"),
    # Empire Health's out-of-area network (members who winter in Florida,
    # students and retirees elsewhere), covered by a virtual rep.
    (12, None, None, None, "Virtual", "grace"),
]
OUT_OF_AREA = [
    ("Newark", "NJ", "America/New_York"), ("Stamford", "CT", "America/New_York"),
    ("Boca Raton", "FL", "America/New_York"), ("Chicago", "IL", "America/Chicago"),
    ("Houston", "TX", "America/Chicago"), ("Denver", "CO", "America/Denver"),
    ("Phoenix", "AZ", "America/Phoenix"), ("Los Angeles", "CA", "America/Los_Angeles"),
    ("Seattle", "WA", "America/Los_Angeles"), ("Anchorage", "AK", "America/Anchorage"),
    ("Honolulu", "HI", "Pacific/Honolulu"),
]

OTHER_ACCOUNTS = [
    # id, name, kind, region, state, kam, lives, prescribers, [(city, state, zone)], territory, rep
    ("northwind-health", "Northwind Health Plan", "managed_care", "Midwest", "IL", "nadia",
     2400000, 130,
     [("Chicago", "IL", "America/Chicago"), ("Milwaukee", "WI", "America/Chicago"),
      ("Indianapolis", "IN", "America/Indiana/Indianapolis")], "Great Lakes", "hannah"),
    ("lone-star-care", "Lone Star Care Network", "idn", "South Central", "TX", "walter",
     850000, 95,
     [("Houston", "TX", "America/Chicago"), ("Dallas", "TX", "America/Chicago"),
      ("Austin", "TX", "America/Chicago"), ("El Paso", "TX", "America/Denver")],
     "Texas", "carlos"),
    ("pacific-crest-medical", "Pacific Crest Medical Group", "health_system", "West", "CA",
     "walter", 620000, 70,
     [("Los Angeles", "CA", "America/Los_Angeles"), ("San Diego", "CA", "America/Los_Angeles"),
      ("Portland", "OR", "America/Los_Angeles"), ("Seattle", "WA", "America/Los_Angeles")],
     "Pacific", "james"),
    ("magnolia-health-partners", "Magnolia Health Partners", "managed_care", "Southeast", "GA",
     "walter", 1100000, 60,
     [("Atlanta", "GA", "America/New_York"), ("Miami", "FL", "America/New_York"),
      ("Nashville", "TN", "America/Chicago")], "Southeast", "tanya"),
]

SPECIALTIES = [  # weight, specialty
    (11, "endocrinology"), (34, "internal medicine"), (30, "family medicine"),
    (9, "nurse practitioner"), (7, "cardiology"), (5, "nephrology"), (4, "physician assistant"),
]
CHANNELS = [(42, "email"), (28, "rep_visit"), (18, "remote_detail"), (12, "sms")]
SEGMENTS = [(15, "high_potential"), (25, "grower"), (10, "loyalist"), (40, "maintain"),
            (10, "no_see")]
DECILE_WEIGHTS = [16, 15, 13, 12, 11, 9, 8, 7, 5, 4]  # deciles 1..10

# ---------------------------------------------------------------- staff

STAFF = [
    # id, name, role, brands, available, load, zone, territory, accounts, manager
    ("leopold", "Leopold Brandt", "key_account_manager", ["GLIDIM", "CARDIVEX"], True, 4,
     "America/New_York", "Northeast", ["empire-health"], None),
    ("nadia", "Nadia Haddad", "key_account_manager", ["GLIDIM", "CARDIVEX"], True, 3,
     "America/Chicago", "Midwest", ["northwind-health"], None),
    ("walter", "Walter Brennan", "key_account_manager", ["GLIDIM", "CARDIVEX"], True, 5,
     "America/Chicago", "South and West",
     ["lone-star-care", "pacific-crest-medical", "magnolia-health-partners"], None),
    ("benjamin", "Benjamin Hartley", "marketing", ["GLIDIM"], True, 2,
     "America/New_York", "National", [], "peter"),
    ("olivia", "Olivia Chen", "marketing", ["CARDIVEX"], True, 1,
     "America/New_York", "National", [], "peter"),
    ("peter", "Peter Lindqvist", "marketing_director", ["GLIDIM", "CARDIVEX"], True, 0,
     "America/New_York", "National", [], None),
    ("elizabeth", "Elizabeth Moreau", "call_center", ["GLIDIM", "CARDIVEX"], True, 3,
     "America/New_York", "National", [], "rosa"),
    ("marcus", "Marcus Reyes", "call_center", ["GLIDIM", "CARDIVEX"], True, 6,
     "America/New_York", "National", [], "rosa"),
    ("rosa", "Rosa Delgado", "call_center_lead", ["GLIDIM", "CARDIVEX"], True, 1,
     "America/New_York", "National", [], None),
    # MSLs: Priyanka is certified for GLIDIM and available with the lowest
    # load among those who qualify; Tomas is certified but on leave; Ravi is
    # certified and available but busier; Aiko is free but not certified.
    ("priyanka", "Priyanka Iyer", "msl", ["GLIDIM"], True, 2,
     "America/New_York", "Northeast", [], "margaret"),
    ("tomas", "Tomas Novak", "msl", ["GLIDIM"], False, 0,
     "America/New_York", "Northeast", [], "margaret"),
    ("ravi", "Ravi Shah", "msl", ["GLIDIM", "CARDIVEX"], True, 7,
     "America/Chicago", "Central", [], "margaret"),
    ("aiko", "Aiko Tanaka", "msl", ["CARDIVEX"], True, 1,
     "America/Los_Angeles", "West", [], "margaret"),
    ("margaret", "Dr. Margaret Osei", "medical_director", ["GLIDIM", "CARDIVEX"], True, 0,
     "America/New_York", "National", [], None),
    ("michael", "Michael Rossi", "field_rep", ["GLIDIM", "CARDIVEX"], True, 9,
     "America/New_York", "NY-Metro", ["empire-health"], "diane"),
    ("sofia", "Sofia Alvarez", "field_rep", ["GLIDIM", "CARDIVEX"], True, 7,
     "America/New_York", "Long Island", ["empire-health"], "diane"),
    ("daniel", "Daniel Kim", "field_rep", ["GLIDIM", "CARDIVEX"], True, 8,
     "America/New_York", "Hudson Valley", ["empire-health"], "diane"),
    ("grace", "Grace Whitfield", "field_rep", ["GLIDIM", "CARDIVEX"], True, 5,
     "America/New_York", "Virtual", ["empire-health"], "diane"),
    ("diane", "Diane Foster", "district_manager", ["GLIDIM", "CARDIVEX"], True, 2,
     "America/New_York", "Northeast", ["empire-health"], None),
    ("hannah", "Hannah Berg", "field_rep", ["GLIDIM", "CARDIVEX"], True, 6,
     "America/Chicago", "Great Lakes", ["northwind-health"], "kevin"),
    ("carlos", "Carlos Mendoza", "field_rep", ["GLIDIM", "CARDIVEX"], True, 5,
     "America/Chicago", "Texas", ["lone-star-care"], "kevin"),
    ("james", "James Park", "field_rep", ["GLIDIM", "CARDIVEX"], True, 4,
     "America/Los_Angeles", "Pacific", ["pacific-crest-medical"], "kevin"),
    ("tanya", "Tanya Brooks", "field_rep", ["GLIDIM", "CARDIVEX"], True, 3,
     "America/New_York", "Southeast", ["magnolia-health-partners"], "kevin"),
    ("kevin", "Kevin O'Neill", "district_manager", ["GLIDIM", "CARDIVEX"], True, 2,
     "America/Chicago", "South and West",
     ["northwind-health", "lone-star-care", "pacific-crest-medical", "magnolia-health-partners"],
     None),
]

# The people of the story, placed at fixed ids so that README.md can name them.
CASTILLO = "hcp-empire-00017"
LEE = "hcp-empire-00018"
OKAFOR = "hcp-empire-00019"
STORY_HCPS = {
    CASTILLO: dict(name="Dr. Naomi Castillo", specialty="endocrinology",
                   preferred_channel="email", consent=["email", "sms"], segment="high_potential",
                   decile=8, city="New York"),
    LEE: dict(name="Dr. Samuel Lee", specialty="endocrinology", preferred_channel="rep_visit",
              consent=["email"], segment="grower", decile=6, city="New York"),
    OKAFOR: dict(name="Dr. Adaeze Okafor", specialty="internal medicine",
                 preferred_channel="rep_visit", consent=[], segment="grower", decile=5,
                 city="New York"),
}


def pick(rng, weighted):
    total = sum(w for w, _ in weighted)
    x = rng.uniform(0, total)
    for w, v in weighted:
        x -= w
        if x <= 0:
            return v
    return weighted[-1][1]


def slug(s):
    return "".join(c for c in s.lower().replace(" ", ".") if c.isalnum() or c == ".")


class Names:
    """Unique, plausible prescriber names."""

    def __init__(self, rng):
        self.rng = rng
        self.used = {"Naomi Castillo", "Samuel Lee", "Adaeze Okafor"}

    def next(self):
        while True:
            n = self.rng.choice(FIRST) + " " + self.rng.choice(LAST)
            if n not in self.used:
                self.used.add(n)
                return n


def make_hcp(rng, names, hcp_id, account, city, state, zone, territory, rep):
    specialty = pick(rng, SPECIALTIES)
    plain = names.next()
    first, last = plain.split(" ", 1)
    if specialty == "nurse practitioner":
        name = plain + ", NP"
    elif specialty == "physician assistant":
        name = plain + ", PA"
    else:
        name = "Dr. " + plain
    rec = {"type": "hcp", "id": hcp_id}
    if rng.random() > 0.01:  # residents may not have an NPI yet
        rec["npi"] = "1" + "".join(str(rng.randrange(10)) for _ in range(9))
    rec["name"] = name
    has_email = rng.random() > 0.03
    if has_email:
        rec["email"] = "%s.%s@%s" % (slug(first), slug(last).replace("'", ""),
                                     rng.choice(["practice", "clinic", "md", "health"]) + "-"
                                     + slug(city).replace(".", "") + ".example")
    has_phone = rng.random() < 0.7
    if has_phone:
        rec["phone"] = "+1%03d555%04d" % (rng.randrange(201, 990), rng.randrange(10000))
    preferred = pick(rng, CHANNELS)
    if preferred == "sms" and not has_phone:
        preferred = "email"
    consent = []
    if has_email and rng.random() < (0.95 if preferred == "email" else 0.78):
        consent.append("email")
    if has_phone and (preferred == "sms" or rng.random() < 0.3):
        consent.append("sms")
    rec.update(account=account, specialty=specialty, preferred_channel=preferred,
               timezone=zone, consent=sorted(consent), rep=rep, territory=territory,
               segment=pick(rng, SEGMENTS), decile=pick(rng, list(zip(DECILE_WEIGHTS, range(1, 11)))),
               city=city, state=state, sample_eligible=rng.random() < 0.94)
    return rec


def make_profiles(rng):
    profiles = []
    profiles.append({"type": "account", "id": "empire-health", "name": "Empire Health",
                     "kind": "managed_care", "region": "Northeast", "state": "NY",
                     "key_account_manager": "leopold", "covered_lives": 2900000})
    for (aid, name, kind, region, state, kam, lives, *_rest) in OTHER_ACCOUNTS:
        profiles.append({"type": "account", "id": aid, "name": name, "kind": kind,
                         "region": region, "state": state, "key_account_manager": kam,
                         "covered_lives": lives})
    for (sid, name, role, brands, available, load, zone, territory, accounts, manager) in STAFF:
        rec = {"type": "staff", "id": sid, "name": name, "role": role,
               "email": "%s@abc-pharma.example" % sid, "brands": brands, "available": available,
               "load": load, "timezone": zone, "territory": territory, "accounts": accounts}
        if manager:
            rec["manager"] = manager
        profiles.append(rec)

    names = Names(rng)
    hcps = []
    for i in range(1, EMPIRE_PRESCRIBERS + 1):
        hid = "hcp-empire-%05d" % i
        area = pick(rng, [(w, a) for (w, *a) in EMPIRE_AREAS])
        cities, state, zone, territory, rep = area
        if cities is None:
            city, state, zone = rng.choice(OUT_OF_AREA)
        else:
            city = rng.choice(cities)
        rec = make_hcp(rng, names, hid, "empire-health", city, state, zone, territory, rep)
        if hid in STORY_HCPS:
            s = STORY_HCPS[hid]
            rec.update(name=s["name"], specialty=s["specialty"],
                       preferred_channel=s["preferred_channel"], consent=s["consent"],
                       segment=s["segment"], decile=s["decile"], city=s["city"], state="NY",
                       timezone="America/New_York", territory="NY-Metro", rep="michael",
                       sample_eligible=True)
            first, last = s["name"].replace("Dr. ", "").split(" ", 1)
            rec["email"] = "%s.%s@castillo-endocrine.example" % (first.lower(), last.lower())
            rec["phone"] = {"hcp-empire-00017": "+12125550117", "hcp-empire-00018": "+12125550118",
                            "hcp-empire-00019": "+12125550119"}[hid]
            rec["npi"] = {"hcp-empire-00017": "1487093512", "hcp-empire-00018": "1396204857",
                          "hcp-empire-00019": "1730582946"}[hid]
        hcps.append(rec)
    for (aid, _n, _k, _r, _s, _kam, _l, count, places, territory, rep) in OTHER_ACCOUNTS:
        short = aid.split("-")[0]
        for i in range(1, count + 1):
            city, state, zone = rng.choice(places)
            hcps.append(make_hcp(rng, names, "hcp-%s-%04d" % (short, i), aid, city, state, zone,
                                 territory, rep))
    return profiles + hcps, hcps


# ---------------------------------------------------------------- events


def ts(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def utc(y, mo, d, h=0, mi=0):
    return dt.datetime(y, mo, d, h, mi, tzinfo=dt.timezone.utc)


class Events:
    def __init__(self):
        self.items = []

    def add(self, at, type_, **fields):
        rec = {"type": type_}
        rec.update(fields)
        rec["at"] = ts(at)
        self.items.append((at, len(self.items), rec))

    def sorted(self):
        return [rec for _, _, rec in sorted(self.items, key=lambda x: (x[0], x[1]))]


def daytime(rng, day, start_hour=13, end_hour=22):
    """A random UTC time on `day` during US working hours."""
    minutes = rng.randrange(start_hour * 60, end_hour * 60)
    return day + dt.timedelta(minutes=minutes)


def make_events(rng, hcps):
    ev = Events()
    by_id = {h["id"]: h for h in hcps}
    empire = [h for h in hcps if h["account"] == "empire-health"]
    story = {CASTILLO, LEE, OKAFOR}
    msg = iter(range(880001, 999999))

    def emailable(h):
        return "email" in h["consent"] and "email" in h

    # -- History before the win (February): a disease-awareness newsletter
    # and rep visits, which is what engagement() learns from.
    feb = utc(2026, 2, 10)
    newsletter = rng.sample([h for h in empire if emailable(h) and h["id"] not in story], 60)
    newsletter.append(by_id[CASTILLO])
    for h in newsletter:
        ev.add(feb + dt.timedelta(hours=14, minutes=rng.randrange(0, 30)), "email_sent",
               hcp=h["id"], template="glidim-disease-awareness-feb",
               message_id="m-%d" % next(msg), sender="newsletter")
    openers = [h for h in newsletter if h["preferred_channel"] == "email"][:18] + \
        rng.sample([h for h in newsletter if h["preferred_channel"] != "email"], 6)
    for h in openers:
        ev.add(daytime(rng, feb + dt.timedelta(days=rng.randrange(0, 4))), "email_opened",
               hcp=h["id"], template="glidim-disease-awareness-feb")
    for h in openers[:8]:
        ev.add(daytime(rng, feb + dt.timedelta(days=4)), "email_clicked", hcp=h["id"],
               template="glidim-disease-awareness-feb",
               url="https://glidim.example/hcp/type-2-diabetes-burden")
    visited = rng.sample([h for h in empire if h["preferred_channel"] == "rep_visit"
                          and h["segment"] != "no_see" and h["id"] not in story], 14)
    for h in visited:
        day = utc(2026, 2, rng.randrange(2, 27))
        ev.add(daytime(rng, day, 14, 21), "visit_completed", hcp=h["id"], rep=h["rep"],
               brand="GLIDIM", format=rng.choice(["in_person", "in_person", "remote"]),
               attendees=1)

    # -- Monday 2 March 2026, 09:05 in New York: Leopold records the win.
    win_at = utc(2026, 3, 2, 14, 5)
    ev.add(win_at, "formulary_win", account="empire-health", brand="GLIDIM",
           plan="Empire Essential PPO", tier=2, prior_auth=False,
           effective=ts(utc(2026, 3, 1)), recorded_by="leopold")
    # The next day, a win for another brand at another account, recorded by the
    # rep rather than the key account manager.
    ev.add(utc(2026, 3, 3, 16, 40), "formulary_win", account="northwind-health",
           brand="CARDIVEX", plan="Northwind Select HMO", tier=3, prior_auth=True,
           effective=ts(utc(2026, 4, 1)), recorded_by="hannah")

    # -- E-mail after the win. Prescribers who prefer e-mail, opted in and are
    # below the top deciles (who get a rep visit) are the ones the
    # formulary-win journey puts in the e-mail nurture.
    nurtured = [h for h in empire if h["preferred_channel"] == "email" and emailable(h)
                and h["decile"] < 9 and h["id"] not in story]
    intro_openers = rng.sample(nurtured, 55)
    repliers = intro_openers[20:23]
    for h in intro_openers:
        # Those who will reply open on the first day, so that their reply
        # comes after the follow-up e-mail, sent two days after the open.
        day = 0 if h in repliers else rng.randrange(0, 5)
        ev.add(daytime(rng, utc(2026, 3, 2 + day), 15, 22), "email_opened",
               hcp=h["id"], template="glidim-formulary-intro")
    for h in intro_openers[:14]:
        ev.add(daytime(rng, utc(2026, 3, 5 + rng.randrange(0, 3))), "email_clicked",
               hcp=h["id"], template="glidim-formulary-intro",
               url=rng.choice(["https://glidim.example/hcp/coverage/empire-health",
                               "https://glidim.example/hcp/dosing",
                               "https://glidim.example/hcp/savings-card"]))
    # Replies to the second e-mail.
    ev.add(utc(2026, 3, 6, 15, 10), "email_replied", hcp=repliers[0]["id"],
           template="glidim-savings-card", subject="Re: GLIDIM savings card",
           body="Please have someone call my office manager about the savings card enrolment.",
           intent="callback")
    ev.add(utc(2026, 3, 6, 18, 45), "email_replied", hcp=repliers[1]["id"],
           template="glidim-dosing-guide", subject="Re: GLIDIM dosing guide",
           body="I would like to meet the rep to discuss this. Mornings work best.",
           intent="meeting")
    ev.add(utc(2026, 3, 7, 2, 30), "email_replied", hcp=repliers[2]["id"],
           template="glidim-dosing-guide", subject="Automatic reply: GLIDIM dosing guide",
           body="I am out of the office until March 16 with limited access to e-mail.",
           intent="out_of_office")
    bounced = rng.choice([h for h in nurtured if h not in intro_openers])
    ev.add(utc(2026, 3, 2, 14, 9), "email_bounced", hcp=bounced["id"],
           template="glidim-formulary-intro", reason="550 5.1.1 mailbox does not exist",
           permanent=True)
    unsub = intro_openers[30]
    ev.add(utc(2026, 3, 4, 16, 22), "email_unsubscribed", hcp=unsub["id"],
           template="glidim-formulary-intro", scope="brand")

    # -- The story of Dr. Naomi Castillo (endocrinology, New York; rep Michael).
    # She opens the intro within the hour, and three days later answers the
    # follow-up with a question about patients with kidney disease.
    ev.add(utc(2026, 3, 2, 15, 12), "email_opened", hcp=CASTILLO,
           template="glidim-formulary-intro")
    reply_at = utc(2026, 3, 5, 14, 20)
    ev.add(reply_at, "email_replied", hcp=CASTILLO, template="glidim-dosing-guide",
           subject="Re: GLIDIM dosing guide",
           body="Can GLIDIM be used in patients with an eGFR between 30 and 45? "
                "Several of my patients have stage 3 CKD.",
           intent="question")
    # The nurture journey emits case_created with this id; the call center
    # (Elizabeth) picks it up, cannot answer it, logs a medical question and
    # closes the case.
    case_id = "email-%s-%d" % (CASTILLO, int(reply_at.timestamp()))
    ev.add(utc(2026, 3, 5, 15, 5), "medical_question", hcp=CASTILLO, question_id="mi-2026-0311",
           brand="GLIDIM",
           question="Use of GLIDIM in type 2 diabetes with CKD stage 3 (eGFR 30-45): dose "
                    "adjustment and data in this population?",
           received_by="elizabeth", urgent=False)
    ev.add(utc(2026, 3, 5, 15, 20), "case_resolved", hcp=CASTILLO, case_id=case_id,
           resolved_by="elizabeth",
           resolution="Medical question logged as mi-2026-0311 for Medical Affairs.")
    # Priyanka calls her back the next day; Dr. Castillo mentions that two
    # colleagues would like a rep visit, and Priyanka logs the request.
    ev.add(utc(2026, 3, 6, 19, 30), "medical_question_answered", hcp=CASTILLO,
           question_id="mi-2026-0311", answered_by="priyanka", answered_via="call")
    ev.add(utc(2026, 3, 6, 19, 45), "visit_request", hcp=CASTILLO, requested_by="priyanka",
           brand="GLIDIM", colleagues=2,
           note="Dr. Samuel Lee and Dr. Adaeze Okafor (same practice, Castillo Endocrine "
                "Associates) would like a GLIDIM visit; Tuesdays or Thursdays after 4 pm.")
    ev.add(utc(2026, 3, 12, 21, 30), "visit_completed", hcp=CASTILLO, rep="michael",
           brand="GLIDIM", format="in_person", attendees=3,
           notes="Lunch-and-learn with Drs Castillo, Lee and Okafor: coverage on Empire "
                 "Essential PPO, renal dosing, savings card.")
    ev.add(utc(2026, 3, 16, 17, 0), "rx_written", prescriber=CASTILLO, brand="GLIDIM",
           plan="Empire Essential PPO", days_supply=30, new_to_brand=True)
    ev.add(utc(2026, 3, 18, 20, 15), "rx_written", prescriber=LEE, brand="GLIDIM",
           plan="Empire Essential PPO", days_supply=30, new_to_brand=True)
    ev.add(utc(2026, 3, 19, 14, 40), "email_clicked", hcp=CASTILLO,
           template="glidim-welcome-new-prescriber", url="https://glidim.example/hcp/samples")

    # -- Prescriptions from the weekly claims feed.
    for h in rng.sample([h for h in empire if h["id"] not in story], 16):
        ev.add(daytime(rng, utc(2026, 3, rng.randrange(9, 27))), "rx_written",
               prescriber=h["id"], brand="GLIDIM", plan="Empire Essential PPO",
               days_supply=rng.choice([30, 30, 90]), new_to_brand=True)
    for h in rng.sample([h for h in hcps if h["account"] != "empire-health"], 10):
        ev.add(daytime(rng, utc(2026, 3, rng.randrange(2, 27))), "rx_written",
               prescriber=h["id"], brand=rng.choice(["GLIDIM", "CARDIVEX"]),
               plan="Commercial", days_supply=30, new_to_brand=False)

    # -- The weekly lapse report, Monday 9 March.
    others = [h for h in hcps if h["account"] != "empire-health"]
    for h, weeks in zip(rng.sample(others, 6) + rng.sample(empire[100:], 2),
                        [9, 11, 14, 8, 10, 6, 12, 9]):
        ev.add(utc(2026, 3, 9, 6, 0), "prescriber_lapsed", prescriber=h["id"], brand="GLIDIM",
               last_rx=ts(utc(2026, 3, 9) - dt.timedelta(weeks=weeks, days=2)),
               weeks_without_rx=weeks)

    # -- A speaker program for Empire Health's prescribers.
    program = "sp-2026-0409-nyc"
    specialties = ["endocrinology", "internal medicine", "nephrology"]
    starts = utc(2026, 4, 9, 22, 30)
    ev.add(utc(2026, 3, 9, 16, 0), "speaker_program_scheduled", account="empire-health",
           program=program, brand="GLIDIM",
           topic="Type 2 diabetes with chronic kidney disease: where GLIDIM fits",
           speaker="Dr. Helen Marsh", venue="Gramercy Hall, New York, NY", starts=ts(starts),
           specialties=specialties, seats=40)
    invited = [h for h in empire if h["specialty"] in specialties and h["decile"] >= 5
               and h["timezone"] == "America/New_York"]
    answers = rng.sample(invited, 12)
    for i, h in enumerate(answers):
        response = "yes" if i < 8 else ("maybe" if i < 10 else "no")
        ev.add(daytime(rng, utc(2026, 3, 10 + rng.randrange(0, 9))), "speaker_program_rsvp",
               hcp=h["id"], program=program, response=response,
               guests=rng.choice([0, 0, 1]) if response == "yes" else 0)
    for h in answers[:6]:
        ev.add(starts + dt.timedelta(minutes=rng.randrange(0, 25)), "speaker_program_attended",
               hcp=h["id"], program=program)

    # -- Webinar registrations.
    for h in rng.sample(empire, 5):
        ev.add(daytime(rng, utc(2026, 3, rng.randrange(3, 12))), "webinar_registered",
               hcp=h["id"], webinar="glidim-renal-dosing-2026-03", brand="GLIDIM",
               starts=ts(utc(2026, 3, 24, 17, 0)))

    # -- Sample requests: one by rep (delivered), one shipped and never
    # delivered, one from an ineligible prescriber, one unusually large.
    eligible = [h for h in empire if h["sample_eligible"] and h["id"] not in story]
    r1 = eligible[40]
    ev.add(utc(2026, 3, 10, 15, 30), "sample_request", hcp=r1["id"], request_id="sr-10231",
           brand="GLIDIM", quantity=6, delivery="rep", requested_via="rep")
    ev.add(utc(2026, 3, 12, 18, 0), "sample_delivered", hcp=r1["id"], request_id="sr-10231",
           brand="GLIDIM", quantity=6, delivered_by=r1["rep"])
    r2 = [h for h in others if h["sample_eligible"]][3]
    ev.add(utc(2026, 3, 11, 17, 10), "sample_request", hcp=r2["id"], request_id="sr-10240",
           brand="GLIDIM", quantity=4, delivery="ship",
           ship_to="2200 Medical Center Pkwy, Suite 410, %s, %s" % (r2["city"], r2["state"]),
           requested_via="portal")
    r3 = [h for h in empire if not h["sample_eligible"]][0]
    ev.add(utc(2026, 3, 13, 14, 0), "sample_request", hcp=r3["id"], request_id="sr-10252",
           brand="GLIDIM", quantity=4, delivery="ship", requested_via="call_center")
    r4 = eligible[90]
    ev.add(utc(2026, 3, 16, 16, 20), "sample_request", hcp=r4["id"], request_id="sr-10263",
           brand="GLIDIM", quantity=20, delivery="rep", requested_via="rep")

    # -- The call center: an urgent phone case nobody closes.
    ae = others[12]
    ev.add(utc(2026, 3, 17, 19, 5), "case_created", hcp=ae["id"], case_id="cc-55102",
           topic="adverse_event", brand="GLIDIM",
           summary="Patient reported dizziness after first GLIDIM dose; prescriber asks how "
                   "to report it.",
           source="phone", urgent=True)

    # -- Staff work: one overdue rep task that stays open, one overdue MSL
    # request completed the next day.
    late = [h for h in empire if h["rep"] == "sofia" and h["decile"] >= 9
            and h["segment"] != "no_see"][0]
    ev.add(utc(2026, 3, 13, 14, 0), "task_overdue", assignee="sofia", task_id="task-77812",
           title="Plan a GLIDIM visit with %s" % late["name"], hcp=late["id"],
           due=ts(utc(2026, 3, 12, 22, 0)))
    ev.add(utc(2026, 3, 13, 14, 0), "task_overdue", assignee="ravi", task_id="task-77790",
           title="Answer medical question mi-2026-0298", due=ts(utc(2026, 3, 12, 22, 0)))
    ev.add(utc(2026, 3, 14, 16, 30), "task_completed", assignee="ravi", task_id="task-77790",
           outcome="done")

    return ev.sorted(), dict(castillo=CASTILLO, case_id=case_id, intro_openers=intro_openers,
                             repliers=repliers, bounced=bounced, unsub=unsub, answers=answers,
                             samples=(r1, r2, r3, r4), ae=ae, late=late)


def write_ndjson(path, records):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        for r in records:
            f.write(json.dumps(r, ensure_ascii=False, separators=(", ", ": ")) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    rng = random.Random(SEED)
    profiles, hcps = make_profiles(rng)
    events, facts = make_events(rng, hcps)
    write_ndjson(os.path.join(args.out, "profiles.ndjson"), profiles)
    write_ndjson(os.path.join(args.out, "events.ndjson"), events)

    empire = [h for h in hcps if h["account"] == "empire-health"]
    assert len(empire) == EMPIRE_PRESCRIBERS

    def count(key, rows=empire):
        out = {}
        for h in rows:
            out[h[key]] = out.get(h[key], 0) + 1
        return ", ".join("%s %d" % kv for kv in sorted(out.items(), key=lambda kv: -kv[1]))

    print("profiles.ndjson: %d accounts, %d staff, %d prescribers (%d at Empire Health)" % (
        1 + len(OTHER_ACCOUNTS), len(STAFF), len(hcps), len(empire)))
    print("events.ndjson:   %d events, %s .. %s" % (len(events), events[0]["at"], events[-1]["at"]))
    print("Empire Health by specialty:", count("specialty"))
    print("Empire Health by preferred channel:", count("preferred_channel"))
    print("Empire Health by rep:", count("rep"))
    print("Empire Health by time zone:", count("timezone"))
    print("Empire Health without e-mail consent: %d" % sum(
        1 for h in empire if "email" not in h["consent"]))
    print("Empire Health decile >= 9: %d, segment no_see: %d" % (
        sum(1 for h in empire if h["decile"] >= 9), sum(1 for h in empire if h["segment"] == "no_see")))
    print("Castillo's case id:", facts["case_id"])
    print("Intro repliers:", ", ".join(h["id"] for h in facts["repliers"]))
    print("Bounce:", facts["bounced"]["id"], " unsubscribe:", facts["unsub"]["id"])
    print("Sample requests:", ", ".join("%s (%s)" % (h["id"], h["rep"]) for h in facts["samples"]))
    print("Adverse-event case:", facts["ae"]["id"], " overdue task about:", facts["late"]["id"])


if __name__ == "__main__":
    main()
