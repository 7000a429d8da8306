{
    "name": "Payment Provider: EasyCard",
    "summary": "Israeli card payments through EasyCard: hosted checkout, saved cards, J5 holds, "
               "refunds",
    "version": "19.0.1.0.0",
    "category": "Accounting/Payment Providers",
    "website": "https://github.com/clinic-suite/clinic-odoo",
    "author": "Clinic Suite Contributors",
    "license": "LGPL-3",
    "depends": ["payment"],
    "data": [
        "views/payment_provider_views.xml",
        "views/payment_easycard_templates.xml",
        "data/payment_provider_data.xml",
        "data/ir_cron_data.xml",
    ],
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "installable": True,
}
