{
    "name": "CRM Isc Account Sync",
    "summary": "Patient-app (Isc) accounts from the hospital information system on every contact",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "website": "https://github.com/clinic-suite/clinic-odoo",
    "author": "Clinic Suite Contributors",
    "license": "LGPL-3",
    "depends": ["contacts", "mail"],
    "data": [
        "security/ir.model.access.csv",
    ],
    "installable": True,
}
