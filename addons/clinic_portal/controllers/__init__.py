from . import registration
from . import portal
from . import language
