{
    "name": "Clinic Client Portal",
    "summary": "Patients register, fill forms, book, reschedule and cancel appointments online",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-suite/clinic-odoo",
    "author": "Clinic Suite Contributors",
    "license": "LGPL-3",
    "depends": [
        "clinic_pricelist_portal",
        "website",
        "portal",
        "calendar",
        "resource",
        "survey",
        "account_payment",
        "auth_signup",
    ],
    "data": [
        "security/ir.model.access.csv",
    ],
    "assets": {
        "web.assets_tests": [
            "clinic_portal/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
