from . import registration
from . import portal
