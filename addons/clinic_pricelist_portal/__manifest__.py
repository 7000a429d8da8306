{
    "name": "Clinic Services in the Client Portal",
    "summary": "Bookable services: duration, staff, portal visibility, card guarantee, prepayment",
    "version": "19.0.1.0.0",
    "category": "Services/Clinic",
    "website": "https://github.com/clinic-suite/clinic-odoo",
    "author": "Clinic Suite Contributors",
    "license": "LGPL-3",
    "depends": ["product", "payment"],
    "data": [
        "security/ir.model.access.csv",
        "views/product_template_views.xml",
    ],
    "demo": [
        "demo/product_demo.xml",
    ],
    "installable": True,
}
