from . import test_nova_poshta_carrier
from . import test_nova_poshta_extras
from . import test_nova_poshta_tracking
from . import test_nova_poshta_money
from . import test_nova_poshta_destination
from . import test_nova_poshta_failures
from . import test_nova_poshta_beyond
from . import test_nova_poshta_tracking_button
