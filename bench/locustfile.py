"""The spring rush against a city-sized database (issue 8, section 5): units fill, departments approve, the
finance bureau reviews.

Each virtual user logs in once as an account of its role that no other virtual user has, so units save only
their own projects, departments decide only their own queue and finance reviewers save only the reviews on
their own pages of the board: a 409 (two people saving one project) can only come from a real bug.

Data: ``python bench/scale_city.py --yes``. Driver:
``bench/run_load.sh``. Settings come from the environment:

LOAD_PASSWORD         the accounts' password (load1234)
LOAD_UNITS            unit accounts unit0001… (1000); LOAD_DEPARTMENTS dept001… (100); LOAD_FINANCE finance01… (10)
LOAD_WAIT_MIN/MAX     seconds a virtual user waits between two clicks (1 and 5)
LOAD_ACCOUNT_OFFSET   where in each list this run starts (default: random, printed), so that a second run
                      works on other departments' queues instead of the ones the first run emptied
"""

import itertools
import os
import random
import re
from decimal import Decimal

from htmlforms import csrf_token, form_fields, message_texts
from locust import HttpUser, between, events, task

PASSWORD = os.environ.get("LOAD_PASSWORD", "load1234")
UNITS = int(os.environ.get("LOAD_UNITS", "1000"))
DEPARTMENTS = int(os.environ.get("LOAD_DEPARTMENTS", "100"))
FINANCE = int(os.environ.get("LOAD_FINANCE", "10"))
WAIT_MIN = float(os.environ.get("LOAD_WAIT_MIN", "1"))
WAIT_MAX = float(os.environ.get("LOAD_WAIT_MAX", "5"))
# Which record a virtual user clicks next: load-test choices, not secrets.
rng = random.Random()  # noqa: S311 - see above
OFFSET = int(os.environ.get("LOAD_ACCOUNT_OFFSET") or rng.randrange(10_000))
# Reviews per page of the finance board (django-tables2, evaluations/review_views.py).
BOARD_PAGE_SIZE = 25

# The status cell of a project the unit may still edit (草稿 draft, 已退回 returned).
EDITABLE_STATUS = re.compile(r"<td[^>]*>(草稿|已退回)</td>")
PROJECT_LINK = re.compile(r'<a href="/projects/(\d+)/">')
ROW = re.compile(r"<tr\b.*?</tr>", re.S)
REVIEW_LINK = re.compile(r'<a class="button" href="/finance/reviews/(\d+)/">审核（审核中）</a>')
SAMPLED = re.compile(r"样本 <strong>(\d+)</strong> 个")


class RoleUser(HttpUser):
    abstract = True
    # A person reads a page before the next click: 1 to 5 seconds by default, far quicker than someone
    # really filling a form, so 50 virtual users press like several hundred real ones.
    wait_time = between(WAIT_MIN, WAIT_MAX)
    username_format = ""
    accounts = 0
    _next = None

    def on_start(self):
        index = next(type(self)._next) if type(self)._next else 0
        self.index = index
        self.username = self.username_format.format((OFFSET + index) % self.accounts + 1)
        page = self.client.get("/login/", name="GET /login/")
        with self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_token(page.text)},
            headers={"Referer": self.host + "/login/"},
            allow_redirects=False,
            name="POST /login/",
            catch_response=True,
        ) as response:
            if response.status_code != 302:
                response.failure(f"{self.username}: login answered {response.status_code}")
                self.stop()

    def post_form(self, url, data, *, name, referer):
        return self.client.post(
            url,
            data=data,
            headers={"Referer": self.host + referer},
            allow_redirects=False,
            name=name,
            catch_response=True,
        )


class UnitUser(RoleUser):
    """单位填报人: list, form, save, read-only table, PDF of its own unit's projects."""

    weight = 7
    username_format = "unit{:04d}"
    accounts = UNITS
    _next = itertools.count()

    def on_start(self):
        super().on_start()
        self.projects, self.editable = [], []
        self.project_list()

    @task(4)
    def project_list(self):
        page = self.client.get("/projects/", name="GET /projects/")
        rows = [(int(m.group(1)), row) for row in ROW.findall(page.text) if (m := PROJECT_LINK.search(row))]
        self.projects = [pk for pk, _ in rows]
        self.editable = [pk for pk, row in rows if EDITABLE_STATUS.search(row)]

    @task(3)
    def open_form(self):
        if self.editable:
            pk = rng.choice(self.editable)
            self.client.get(f"/projects/{pk}/edit/", name="GET /projects/[id]/edit/")

    @task(3)
    def save_form(self):
        """Open the form, change one indicator's actual value, save as draft, land on the form again."""
        if not self.editable:
            return
        pk = rng.choice(self.editable)
        url = f"/projects/{pk}/edit/"
        page = self.client.get(url, name="GET /projects/[id]/edit/")
        if not page.ok:  # already counted as a failure; a person would not post a page they never saw
            return
        data = form_fields(page.text, "project-form")
        row = self._quantitative_row(data)
        if row is not None:
            target = Decimal(re.sub(r"[^\d.]", "", data[f"{row}-target_text"]) or "1")
            factor = Decimal(rng.randint(85, 115)) / 100
            data[f"{row}-actual_text"] = f"{(target * factor).quantize(Decimal('0.1'))}{data.get(f'{row}-unit', '')}"
            data[f"{row}-claimed_score"] = ""  # the computed score counts
        data["action"] = "save"
        with self.post_form(url, data, name="POST /projects/[id]/edit/", referer=url) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith(url):
                response.failure(f"save of project {pk} answered {response.status_code}")
                return
        after = self.client.get(url, name="GET /projects/[id]/edit/")
        if "草稿已保存" not in "".join(message_texts(after.text)):
            events.request.fire(
                request_type="CHECK",
                name="save confirmed",
                response_time=0,
                response_length=0,
                exception=AssertionError(f"project {pk}: no 草稿已保存 message"),
            )

    @staticmethod
    def _quantitative_row(data):
        rows = [
            key.removesuffix("-sign")
            for key, value in data.items()
            if key.startswith("indicators-") and key.endswith("-sign") and value in ("≥", ">", "≤", "<", "=")
        ]
        rows = [r for r in rows if re.search(r"\d", data.get(f"{r}-target_text", ""))]
        return rng.choice(rows) if rows else None

    @task(2)
    def project_detail(self):
        if self.projects:
            self.client.get(f"/projects/{rng.choice(self.projects)}/", name="GET /projects/[id]/")

    @task(1)
    def project_pdf(self):
        if self.projects:
            pk = rng.choice(self.projects)
            with self.client.get(
                f"/reports/projects/{pk}/pdf/", name="GET /reports/projects/[id]/pdf/ (PDF)", catch_response=True
            ) as response:
                if response.status_code == 200 and not response.content.startswith(b"%PDF"):
                    response.failure("not a PDF")


class DepartmentUser(RoleUser):
    """主管部门审核人: the queue, one submitted project, approve (4 in 5) or return it."""

    weight = 2
    username_format = "dept{:03d}"
    accounts = DEPARTMENTS
    _next = itertools.count()

    @task(3)
    def queue(self):
        self.client.get("/review/", name="GET /review/")

    @task(2)
    def decide(self):
        queue = self.client.get("/review/", name="GET /review/")
        if not queue.ok:
            return
        # The queue lists submitted projects oldest first; the "returned" list below it has links too.
        submitted = queue.text.split("已退回、等待单位修改")[0]
        pks = PROJECT_LINK.findall(submitted)
        if not pks:
            return
        pk = rng.choice(pks[:10])
        detail_url = f"/projects/{pk}/"
        page = self.client.get(detail_url, name="GET /projects/[id]/")
        if not page.ok:
            return
        match = re.search(r'action="/review/(\d+)/approve/"', page.text)
        if not match:
            return
        evaluation = match.group(1)
        token = csrf_token(page.text)
        if rng.random() < 0.8:
            url, data, name = f"/review/{evaluation}/approve/", {"comment": "同意。"}, "POST /review/[id]/approve/"
        else:
            url, data, name = (
                f"/review/{evaluation}/return/",
                {"reason": "部分指标偏差原因未填写，请补充后重新提交。"},
                "POST /review/[id]/return/",
            )
        data["csrfmiddlewaretoken"] = token
        with self.post_form(url, data, name=name, referer=detail_url) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith("/review/"):
                response.failure(f"decision on evaluation {evaluation} answered {response.status_code}")


class FinanceUser(RoleUser):
    """财政审核员: the review board, one review in progress, save grade and opinion as a draft."""

    weight = 1
    username_format = "finance{:02d}"
    accounts = FINANCE
    _next = itertools.count()

    def on_start(self):
        super().on_start()
        self.reviews = []

    def _board_page(self):
        """A page of the sampled reviews that only this reviewer works on (pages are dealt out round-robin)."""
        pages = max(1, getattr(self, "pages", 1))
        mine = [p for p in range(1, pages + 1) if p % FINANCE == self.index % FINANCE] or [1]
        return rng.choice(mine)

    @task(2)
    def board(self):
        self.client.get("/finance/", name="GET /finance/")

    @task(2)
    def open_review(self):
        page = self.client.get(f"/finance/?sample=in&page={self._board_page()}", name="GET /finance/?sample=in")
        match = SAMPLED.search(page.text)
        if match:
            self.pages = -(-int(match.group(1)) // BOARD_PAGE_SIZE)
        self.reviews = REVIEW_LINK.findall(page.text) or self.reviews
        if self.reviews:
            self.client.get(f"/finance/reviews/{rng.choice(self.reviews)}/", name="GET /finance/reviews/[id]/")

    @task(2)
    def save_review(self):
        if not self.reviews:
            self.open_review()
            if not self.reviews:
                return
        pk = rng.choice(self.reviews)
        url = f"/finance/reviews/{pk}/"
        page = self.client.get(url, name="GET /finance/reviews/[id]/")
        if not page.ok:
            return
        data = form_fields(page.text, "review-form")
        data["grade"] = rng.choice(["优", "良", "良", "中"])
        data["reviewer_total"] = str(rng.randint(70, 98))
        data["opinion_html"] = (
            "<p>1. 预算执行情况：资金到位及时，执行率符合要求。</p><p>2. 产出方面：基本完成预期产出目标。</p>"
            "<p>3. 效果方面：实现大部分预期效益目标。</p>"
            f"<p>4. 建议：进一步细化绩效指标（第 {rng.randint(1, 99)} 次修改）。</p>"
        )
        data["action"] = "save"
        with self.post_form(url, data, name="POST /finance/reviews/[id]/", referer=url) as response:
            if response.status_code != 302 or not response.headers.get("Location", "").endswith(url):
                response.failure(f"review {pk} answered {response.status_code}")
                return
        after = self.client.get(url, name="GET /finance/reviews/[id]/")
        if "审核草稿已保存" not in "".join(message_texts(after.text)):
            events.request.fire(
                request_type="CHECK",
                name="review save confirmed",
                response_time=0,
                response_length=0,
                exception=AssertionError(f"review {pk}: no 审核草稿已保存 message"),
            )


@events.test_start.add_listener
def announce(environment, **kwargs):
    print(f"load accounts start at offset {OFFSET} (LOAD_ACCOUNT_OFFSET={OFFSET} repeats this run's accounts)")
