"""The hosted checkout's HTML: the card form, the 3-D Secure page and the notices.

Small, dependency-free pages a payer, a screen reader or a test client can use: every input
has a label, invalid inputs are marked with ``aria-invalid`` and described by their error, and
the errors are announced in an alert. Hebrew (``l=he-IL``, the default) is right to left.
Every value from an intent is escaped.
"""

from __future__ import annotations

from html import escape

TEXTS = {
    "he": {
        "dir": "rtl",
        "title": "תשלום מאובטח",
        "save_title": "שמירת כרטיס אשראי",
        "notice": "סימולטור EasyCard: אין כאן חיוב אמיתי.",
        "amount": "סכום לתשלום",
        "card_details": "פרטי הכרטיס",
        "cardNumber": "מספר כרטיס",
        "expiry": "תוקף (MM/YY)",
        "cvv": "קוד אבטחה (CVV)",
        "cardOwnerName": "שם בעל הכרטיס",
        "save_card": "לשמור את הכרטיס לתשלומים הבאים",
        "pay": "תשלום",
        "save": "שמירת הכרטיס",
        "cancel": "ביטול",
        "errors": "יש לתקן את השדות המסומנים:",
        "error_cardNumber": "מספר הכרטיס אינו תקין.",
        "error_expiry": "תוקף הכרטיס אינו תקין או שפג.",
        "error_cvv": "קוד האבטחה צריך להכיל 3 או 4 ספרות.",
        "error_cardOwnerName": "יש למלא את שם בעל הכרטיס.",
        "3ds_title": "אימות 3-D Secure",
        "3ds_text": "הבנק שהנפיק את הכרטיס מבקש לאשר את העסקה.",
        "approve": "אישור",
        "fail": "כישלון האימות",
        "invalid_title": "קישור התשלום אינו תקף",
        "invalid_text": "הקישור אינו מוכר. יש לחזור לאתר ולהתחיל את התשלום מחדש.",
        "unavailable_title": "קישור התשלום אינו זמין עוד",
        "unavailable_text": "התשלום כבר בוצע, בוטל או שפג תוקפו של הקישור.",
        "hold_title": "התשלום התקבל",
        "hold_text": "ממתינים לאישור מהאתר. אפשר להמשיך כשהאישור יתקבל.",
        "continue": "חזרה לאתר",
    },
    "en": {
        "dir": "ltr",
        "title": "Secure payment",
        "save_title": "Save a credit card",
        "notice": "EasyCard simulator: no real charge is made.",
        "amount": "Amount to pay",
        "card_details": "Card details",
        "cardNumber": "Card number",
        "expiry": "Expiry (MM/YY)",
        "cvv": "Security code (CVV)",
        "cardOwnerName": "Cardholder name",
        "save_card": "Save this card for later payments",
        "pay": "Pay",
        "save": "Save card",
        "cancel": "Cancel",
        "errors": "Please correct the marked fields:",
        "error_cardNumber": "The card number is not valid.",
        "error_expiry": "The expiry date is not valid or has passed.",
        "error_cvv": "The security code has 3 or 4 digits.",
        "error_cardOwnerName": "Please enter the cardholder name.",
        "3ds_title": "3-D Secure check",
        "3ds_text": "The bank that issued the card asks you to confirm this payment.",
        "approve": "Approve",
        "fail": "Fail authentication",
        "invalid_title": "This payment link is not valid",
        "invalid_text": "The link is unknown. Go back to the site and start the payment again.",
        "unavailable_title": "This payment link is no longer available",
        "unavailable_text": "The payment was already made or cancelled, or the link expired.",
        "hold_title": "Payment received",
        "hold_text": "Waiting for the site to confirm. You can continue once it has.",
        "continue": "Back to the site",
    },
}
# name, input type, autocomplete, inputmode
CARD_FIELDS = (
    ("cardNumber", "text", "cc-number", "numeric"),
    ("expiry", "text", "cc-exp", "numeric"),
    ("cvv", "password", "cc-csc", "numeric"),
    ("cardOwnerName", "text", "cc-name", None),
)
REFILLED = ("expiry", "cardOwnerName")
_STYLE = ("body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem}"
          "label{display:block;margin-top:.8rem}input{font-size:1rem;padding:.4rem;width:100%}"
          "input[type=checkbox]{width:auto}button{font-size:1rem;margin:1rem .5rem 0 0;"
          "padding:.5rem 1rem}[aria-invalid=true]{border:2px solid #b00020}"
          ".error{color:#b00020}")


def language(code):
    """The page language of an ``l`` value: Hebrew unless it asks for another language."""
    return "he" if not code or code.lower().startswith("he") else "en"


def _page(lang, title, body):
    texts = TEXTS[lang]
    return (f'<!DOCTYPE html>\n<html lang="{lang}" dir="{texts["dir"]}">\n<head>'
            f'<meta charset="utf-8"><meta name="viewport" content="width=device-width">'
            f"<title>{escape(title)}</title><style>{_STYLE}</style></head>\n<body><main>"
            f"<h1>{escape(title)}</h1>\n{body}\n"
            f'<p role="note">{escape(texts["notice"])}</p></main></body>\n</html>\n')


def _field(texts, name, kind, autocomplete, inputmode, value, invalid):
    attributes = [f'id="{name}"', f'name="{name}"', f'type="{kind}"', "required",
                  f'autocomplete="{autocomplete}"', f'value="{escape(value or "")}"']
    if inputmode:
        attributes.append(f'inputmode="{inputmode}"')
    error = ""
    if invalid:
        attributes += ['aria-invalid="true"', f'aria-describedby="{name}-error"']
        error = f'<span class="error" id="{name}-error">{escape(texts["error_" + name])}</span>'
    return f'<label for="{name}">{escape(texts[name])}</label><input {" ".join(attributes)}>{error}'


def payment_page(view, lang, invalid=(), values=None):
    """The card form of one intent; ``invalid`` lists the fields to mark, ``values`` refills."""
    texts, values = TEXTS[lang], values or {}
    title = texts["save_title"] if view["save_only"] else texts["title"]
    parts = []
    if invalid:
        items = "".join(f'<li><a href="#{name}">{escape(texts["error_" + name])}</a></li>'
                        for name in invalid)
        parts.append(f'<div role="alert"><p>{escape(texts["errors"])}</p><ul>{items}</ul></div>')
    if view["description"]:
        parts.append(f"<p>{escape(view['description'])}</p>")
    if not view["save_only"]:
        parts.append(f'<p>{escape(texts["amount"])}: <strong>'
                     f'{escape(str(view["amount"]))} {escape(view["currency"])}</strong></p>')
    # The card number and CVV are never written back into a page.
    fields = "".join(_field(texts, name, kind, auto, mode,
                            values.get(name) if name in REFILLED else None, name in invalid)
                     for name, kind, auto, mode in CARD_FIELDS)
    if view["offer_save"]:
        checked = " checked" if view["save_by_default"] else ""
        fields += (f'<label><input type="checkbox" name="saveCard" value="1"{checked}> '
                   f'{escape(texts["save_card"])}</label>')
    submit = texts["save"] if view["save_only"] else texts["pay"]
    parts.append(
        f'<form method="post" action="/i/pay">'
        f'<input type="hidden" name="r" value="{escape(view["r"])}">'
        f'<input type="hidden" name="l" value="{escape(view["language"])}">'
        f'<fieldset><legend>{escape(texts["card_details"])}</legend>{fields}</fieldset>'
        f'<button type="submit" name="action" value="pay">{escape(submit)}</button>'
        f'<button type="submit" name="action" value="cancel" formnovalidate>'
        f'{escape(texts["cancel"])}</button></form>')
    return _page(lang, title, "\n".join(parts))


def challenge_page(challenge, lang):
    """The 3-D Secure page: the payer approves or fails the authentication."""
    texts = TEXTS[lang]
    body = (f'<p>{escape(texts["3ds_text"])}</p><form method="post" action="/i/3ds">'
            f'<input type="hidden" name="c" value="{escape(challenge)}">'
            f'<button type="submit" name="action" value="approve">{escape(texts["approve"])}'
            f'</button><button type="submit" name="action" value="fail">'
            f'{escape(texts["fail"])}</button></form>')
    return _page(lang, texts["3ds_title"], body)


def notice_page(reason, lang):
    """A link that is ``invalid`` or ``unavailable``."""
    texts = TEXTS[lang]
    return _page(lang, texts[reason + "_title"], f'<p>{escape(texts[reason + "_text"])}</p>')


def hold_page(continue_url, lang):
    """The payment is done; the way back to the merchant opens once its webhooks are sent."""
    texts = TEXTS[lang]
    body = (f'<p role="status">{escape(texts["hold_text"])}</p>'
            f'<p><a href="{escape(continue_url)}">{escape(texts["continue"])}</a></p>')
    return _page(lang, texts["hold_title"], body)
