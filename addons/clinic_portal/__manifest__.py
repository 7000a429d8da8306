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
        "security/clinic_portal_security.xml",
        "security/ir.model.access.csv",
        "data/clinic_client_status_data.xml",
        "views/clinic_config_views.xml",
        "views/res_config_settings_views.xml",
        "views/res_users_views.xml",
        "views/res_partner_views.xml",
        "views/product_template_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/clinic_portal_demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "clinic_portal/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
