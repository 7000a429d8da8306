import time
from collections import defaultdict
from datetime import timedelta

import pytz

from odoo import api, fields, models, tools

from .. import const, db
from ..services import slots
from ..services.policy import limited_staff

# Each attendance keeps the time it takes (calendar.attendee.clinic_busy_*): the team's busy
# times are read from the attendances alone, not joined to their events. A partner's starts
# and ends come as two arrays: no Python object per row.
BUSY_QUERY = """
    SELECT partner_id, array_agg(clinic_busy_from::bigint), array_agg(clinic_busy_to::bigint)
      FROM calendar_attendee
     WHERE partner_id = ANY(%s)
       AND clinic_busy_to IS NOT NULL
       AND clinic_busy_from < %s
       AND clinic_busy_to > %s
       AND event_id != %s
       AND (clinic_busy_hold IS NULL OR clinic_busy_hold > %s)
  GROUP BY partner_id
"""
# The most seconds the pages reuse staff working times: an edit of working hours, leaves or
# resources drops them at once (clinic.work.time.source); this bounds what no edit of ours
# sees, such as an employee's next contract starting with other hours.
WORK_REUSE_SECONDS = 300
# What the portal reads of a service's template to offer it (see _service).
SERVICE_FIELDS = ["active", "sale_ok", "type", "company_id", "clinic_portal_visible",
                  "clinic_duration_minutes", "clinic_staff_user_ids",
                  "clinic_prepayment_required", "clinic_card_guarantee_required"]
# A patient's future appointments, a hold only until it expires.
FUTURE_QUERY = """
    SELECT id, user_id FROM calendar_event
     WHERE clinic_patient_id = %s AND active AND start > %s AND id != %s
       AND (clinic_payment_state IS DISTINCT FROM %s OR clinic_hold_expiry > %s)
"""


class ClinicAvailabilityEngine(models.AbstractModel):
    """Free times of staff calendars for the client portal: a thin query layer.

    Data is gathered in a fixed number of queries whatever the staff and days; the
    arithmetic is ``services/slots.py`` and the rules ``services/policy.py``.
    """

    _name = "clinic.availability.engine"
    _description = "Client portal availability engine"

    # ------------------------------------------------------------------------------------
    # Services, staff, time
    # ------------------------------------------------------------------------------------
    @api.model
    def _services(self, partner):
        """Services the portal offers ``partner``: ``[(product, offer)]``, by name."""
        products = self.env["product.product"].sudo().search(
            [("clinic_portal_visible", "=", True)], order="name, id")
        offers = products._clinic_portal_offers(partner) if products else {}
        return [(product, offers[product.id]) for product in products
                if offers[product.id]["visible"]]

    @api.model
    def _service(self, partner, product_id, priced=True):
        """``(product, offer)`` if the portal offers ``product_id`` to ``partner``, else
        ``(empty, None)``; the offer without its price and payment unless ``priced``."""
        # The columns the portal reads of a service, not the product's hundred: a rush of
        # patients asks this of every times page.
        product = self.env["product.product"].sudo().with_context(active_test=False).search_fetch(
            [("id", "=", product_id or 0)], ["active", "product_tmpl_id"])
        product.product_tmpl_id.fetch(SERVICE_FIELDS)
        offer = product and product._clinic_portal_offer(partner, priced=priced)
        if not offer or not offer["visible"]:
            return self.env["product.product"], None
        return product, offer

    @api.model
    def _staff(self, partner, product, policy):
        """Staff ``partner`` may book for ``product``: bookable, allowed for the service and,
        with "Only calendars of the treating team", in the patient's treating team."""
        domain = [
            ("clinic_portal_bookable", "=", True),
            ("share", "=", False),
            ("company_ids", "in", policy.company_id),
        ]
        if product.clinic_staff_user_ids:
            domain.append(("id", "in", product.clinic_staff_user_ids.ids))
        team = partner.sudo().clinic_treating_user_ids
        if policy.treating_team_only and team:
            domain.append(("id", "in", team.ids))
        # Their names and contacts alone (the pages show them, the busy times read them).
        staff = self.env["res.users"].sudo().search_fetch(domain, ["partner_id"],
                                                         order="name, id")
        staff.partner_id.fetch(["name"])
        return staff

    @api.model
    def _tz(self, partner):
        """The patient's time zone, else the clinic's (its working hours'), else UTC."""
        return pytz.timezone(partner.sudo().tz or self.env.company.sudo().resource_calendar_id.tz
                             or "UTC")

    @api.model
    def _now(self):
        return slots.from_naive_utc(fields.Datetime.now())

    @api.model
    def _today(self, partner):
        return self._now().astimezone(self._tz(partner)).date()

    @api.model
    def _clinic_today(self, company):
        """Today at the clinic ``company`` (in its working hours' time zone, else UTC): the
        day a treatment plan's validity is read against, wherever the patient is."""
        tz = pytz.timezone(company.sudo().resource_calendar_id.tz or "UTC")
        return self._now().astimezone(tz).date()

    @api.model
    def _window(self, partner, policy, page=0):
        """``(first instant, after-last instant)`` of the search window page, aware.

        :raises ValueError: a page outside the booking horizon
        """
        return slots.window_bounds(self._today(partner), policy.search_start_days,
                                   policy.search_range_days, self._tz(partner), page=page)

    @api.model
    def _horizon(self, partner, policy):
        """Earliest and latest (excluded) start the portal offers ``partner``."""
        return slots.bookable_horizon(self._today(partner), policy.search_start_days,
                                      policy.search_range_days, self._tz(partner))

    # ------------------------------------------------------------------------------------
    # Data gathering: a fixed number of queries whatever the staff and days
    # ------------------------------------------------------------------------------------
    @api.model
    def _work_intervals(self, staff, start, end):
        """``{user id: [(start, end)]}``: working hours minus leaves, in each staff member's
        time zone, aware."""
        return {user_id: [(slots.from_seconds(s), slots.from_seconds(e)) for s, e in work]
                for user_id, work in self._work_seconds(staff, start, end).items()}

    @api.model
    def _work_seconds(self, staff, start, end):
        """``{user id: [(start, end)]}`` in whole seconds since the epoch: working hours minus
        leaves, in each staff member's time zone.

        Odoo's working time of a calendar is the same for every resource of one time zone and
        one company without leaves or flexible hours of its own: it is computed once for all
        of them (a team of a hundred on two calendars costs two computations, not a hundred),
        and for each of the others on its own. One batch per working-hours calendar.
        """
        # Each staff member's resource: the one of the current company, else their first.
        company = self.env.company
        chosen = {}
        for resource in self.env["resource.resource"].sudo().search_fetch(
                [("user_id", "in", staff.ids)], ["user_id", "company_id", "calendar_id", "tz"]):
            if resource.user_id.id not in chosen or (
                    resource.company_id == company
                    and chosen[resource.user_id.id].company_id != company):
                chosen[resource.user_id.id] = resource
        resources = self.env["resource.resource"].sudo().concat(*chosen.values()).filtered(
            "calendar_id")
        own_leaves = {resource.id for resource, _count in self.env[
            "resource.calendar.leaves"].sudo()._read_group(
                [("resource_id", "in", resources.ids),
                 ("date_from", "<", slots.to_naive_utc(end)),
                 ("date_to", ">", slots.to_naive_utc(start))],
                groupby=["resource_id"], aggregates=["__count"])}
        # The calendar each resource works by at the start (with Employees, its contract's).
        calendar_at = resources._get_calendar_at(start, None)
        by_calendar = defaultdict(list)
        for resource in resources:
            by_calendar[resource.calendar_id].append(resource)
        work = {}
        for calendar, calendar_resources in by_calendar.items():
            alike = defaultdict(list)
            for resource in calendar_resources:
                at = calendar_at.get(resource)
                if resource.id in own_leaves or not at or at.flexible_hours:
                    alike[resource.id].append(resource)
                else:
                    alike[resource.tz, resource.company_id.id, at.id].append(resource)
            computed = self.env["resource.resource"].sudo().concat(
                *(group[0] for group in alike.values()))
            intervals = calendar._work_intervals_batch(start, end, resources=computed)
            for group in alike.values():
                seconds = slots.seconds_of((s, e) for s, e, _m in intervals[group[0].id])
                for resource in group:
                    work[resource.user_id.id] = seconds
        return work

    @api.model
    def _work_seconds_shown(self, staff, start, end):
        """``_work_seconds`` for the times the pages show, reused by every request of the
        same staff and window (the month a rush of patients opens), read-only. A booking's
        own check computes them afresh (``_time_state``)."""
        return self._work_seconds_reused(
            tuple(staff.ids), slots.to_seconds(start), slots.to_seconds(end),
            self.env.company.id, int(time.time() // WORK_REUSE_SECONDS))

    @api.model
    @tools.ormcache("staff_ids", "start", "end", "company_id", "period")
    def _work_seconds_reused(self, staff_ids, start, end, company_id, period):
        # company_id: whose resources are chosen; period: WORK_REUSE_SECONDS at most.
        work = self._work_seconds(self.env["res.users"].browse(staff_ids),
                                  slots.from_seconds(start), slots.from_seconds(end))
        return {user_id: tuple(intervals) for user_id, intervals in work.items()}

    @api.model
    def _busy_intervals(self, partners, start, end, ignore_event=None, fresh=False):
        """``{partner id: [(start, end)]}``, aware UTC: see ``_busy_seconds``."""
        return {partner_id: [(slots.from_seconds(s), slots.from_seconds(e)) for s, e in busy]
                for partner_id, busy in self._busy_seconds(
                    partners, start, end, ignore_event=ignore_event, fresh=fresh).items()}

    @api.model
    def _busy_seconds(self, partners, start, end, ignore_event=None, fresh=False):
        """``{partner id: [(start, end)]}`` in whole seconds since the epoch, sorted and
        distinct, of the times around ``[start, end)``: busy, active events in which
        each partner is an attendee who did not decline, an appointment held for payment
        only until its hold expires; one query. An all-day event takes its whole days (UTC).

        :param fresh: also read what other transactions committed since this one began (a
            new snapshot): the re-check made after the booking lock
        """
        self.env["calendar.attendee"].flush_model(
            ["partner_id", "event_id", "clinic_busy_from", "clinic_busy_to",
             "clinic_busy_hold"])
        # A day around the window: appointments just outside it are still anchors of the
        # slots at its edges when gaps are prevented.
        params = (list(partners.ids), slots.to_seconds(end + timedelta(days=1)),
                  slots.to_seconds(start - timedelta(days=1)),
                  ignore_event.id if ignore_event else 0, fields.Datetime.now())
        rows = db.rows(self.env, BUSY_QUERY, params, fresh=fresh)
        busy = defaultdict(set)
        for partner_id, busy_from, busy_to in rows:
            busy[partner_id].update(zip(busy_from, busy_to, strict=True))
        return {partner_id: sorted(intervals) for partner_id, intervals in busy.items()}

    @api.model
    def _future_counts(self, partner, ignore_event=None, fresh=False):
        """``(total, {staff user id: count})`` of the patient's future appointments.

        :param fresh: count in a new snapshot, which sees bookings other transactions
            committed meanwhile: the count made under the booking lock
        """
        now = fields.Datetime.now()
        params = (partner.id, now, ignore_event.id if ignore_event else 0,
                  const.PAYMENT_AWAITING, now)
        self.env["calendar.event"].flush_model(["clinic_patient_id", "active", "start",
                                                "user_id", "clinic_payment_state",
                                                "clinic_hold_expiry"])
        rows = set(db.rows(self.env, FUTURE_QUERY, params, fresh=fresh))
        per_staff = defaultdict(int)
        for _event_id, user_id in rows:
            per_staff[user_id] += 1
        return len(rows), dict(per_staff)

    @api.model
    def _limited_staff(self, partner, staff, policy, ignore_event=None, fresh=False):
        """Ids of staff the patient may book no more with, by the future appointments limit."""
        if not policy.future_limit:
            return set()
        total, per_staff = self._future_counts(partner, ignore_event=ignore_event, fresh=fresh)
        return limited_staff(policy, staff.ids, total, per_staff)

    # ------------------------------------------------------------------------------------
    # Free starts
    # ------------------------------------------------------------------------------------
    @api.model
    def _free_starts(self, partner, product, staff, start, end, policy, ignore_event=None):
        """Free slot starts of each staff member for ``product`` between ``start`` and ``end``.

        :returns: ``{user id: [aware UTC datetimes]}``; staff whose per-calendar future
            appointments limit is reached get no slot.
        """
        not_before = max(start, slots.earliest_new_start(self._now(), policy.min_hours_new))
        work = self._work_seconds_shown(staff, start, end)
        busy = self._busy_seconds(staff.sudo().partner_id | partner, start, end,
                                  ignore_event=ignore_event)
        limited = self._limited_staff(partner, staff, policy, ignore_event=ignore_event)
        starts = {
            user.id: [] if user.id in limited else self._user_starts(
                user, partner, product, policy, work, busy, slots.to_seconds(not_before),
                slots.to_seconds(end))
            for user in staff.sudo()
        }
        # Staff share most starts: each is made a datetime once.
        shown = {start: slots.from_seconds(start) for start in set().union(*starts.values())}
        return {user_id: [shown[start] for start in user_starts]
                for user_id, user_starts in starts.items()}

    @api.model
    def _user_starts(self, user, partner, product, policy, work, busy, not_before, not_after):
        """The offered starts of one staff calendar, from gathered work and busy times; all
        in whole seconds since the epoch."""
        duration = product.clinic_duration_minutes * 60
        staff_busy, own = self._split_busy(busy, user, partner)
        return slots.free_slot_seconds(
            work.get(user.id, []), staff_busy, duration,
            round(policy.step_for(timedelta(seconds=duration)).total_seconds()),
            not_before=not_before, not_after=not_after, prevent_gaps=policy.prevent_gaps,
            parallel=not policy.prevent_parallel, blocking=own)

    @api.model
    def _split_busy(self, busy, user, partner):
        """``(staff member's busy times, the patient's other busy times)`` from ``busy``:
        an appointment of the patient with this staff member counts once, as the staff's."""
        staff_busy = busy.get(user.partner_id.id, [])
        taken = set(staff_busy)
        return staff_busy, [i for i in busy.get(partner.id, []) if i not in taken]

    @api.model
    def _time_state(self, partner, product, staff_user, start, policy, ignore_event=None,
                    fresh=False):
        """Whether ``start`` may be booked with ``staff_user``: TIME_FREE when the portal
        would offer it; TIME_TAKEN when an appointment overlaps it; else TIME_NOT_OFFERED
        (outside working hours, off the grid or, with "Prevent gaps", leaving a gap)."""
        duration = product.clinic_duration_minutes * 60
        at = slots.to_seconds(start)
        day_start, day_end = start - timedelta(days=1), start + timedelta(days=1, seconds=duration)
        work = self._work_seconds(staff_user, day_start, day_end)
        busy = self._busy_seconds(staff_user.partner_id | partner, day_start, day_end,
                                  ignore_event=ignore_event, fresh=fresh)
        if at in self._user_starts(staff_user, partner, product, policy, work, busy, at, at + 60):
            return const.TIME_FREE
        work = work.get(staff_user.id, [])
        if not any(s <= at and at + duration <= e for s, e in slots.normalize(work)):
            return const.TIME_NOT_OFFERED
        staff_busy, own = self._split_busy(busy, staff_user, partner)
        parallel = not policy.prevent_parallel
        if slots.overlaps(at, at + duration, own + ([] if parallel else staff_busy)):
            return const.TIME_TAKEN
        return const.TIME_NOT_OFFERED
