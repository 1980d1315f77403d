from . import adyen_report_import
