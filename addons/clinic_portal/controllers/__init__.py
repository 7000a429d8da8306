from . import registration
from . import portal
from . import payment
from . import language
from . import guarantee
from . import courses
from . import treatment_plan
from . import survey
