{
    "name": "CRM Isc Account Sync",
    "summary": "Patient-app (Isc) accounts from the hospital information system on every contact",
    "version": "19.0.1.1.0",
    "category": "Sales/CRM",
    "website": "https://github.com/clinic-suite/clinic-odoo",
    "author": "Clinic Suite Contributors",
    "license": "LGPL-3",
    "depends": ["contacts", "mail"],
    "external_dependencies": {"python": ["requests"]},
    "data": [
        "security/security.xml",
        "security/ir.model.access.csv",
        "data/ir_sequence.xml",
        "data/ir_cron.xml",
        "data/ir_actions_server.xml",
        "views/isc_sync_run_views.xml",
        "views/isc_booking_order_views.xml",
        "wizards/isc_sync_range_wizard_views.xml",
        "views/res_partner_views.xml",
        "views/res_config_settings_views.xml",
        "views/menus.xml",
    ],
    "demo": [
        "demo/demo.xml",
    ],
    "assets": {
        "web.assets_tests": [
            "crm_isc_sync/static/tests/tours/*.js",
        ],
    },
    "installable": True,
}
