from . import omnichannel_tile
