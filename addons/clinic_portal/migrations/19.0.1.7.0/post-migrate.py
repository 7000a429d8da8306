"""19.0.1.7.0: the registration form always asks for the e-mail, the client's login and the
address the link to choose a password goes to. The e-mail row of each company's registration
fields is shown and required from now on (the form asks for it whatever the row says)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute("""
        UPDATE clinic_registration_field
           SET show = TRUE, required = TRUE
         WHERE field_name = 'email' AND (show IS NOT TRUE OR required IS NOT TRUE)
    """)
