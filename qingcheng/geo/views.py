from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# Where the map opens before the district layer arrives and fits the view (Hohhot old town).
DEFAULT_CENTER = (40.83, 111.68)


@login_required
def map_page(request: HttpRequest) -> HttpResponse:
    """The grid map: districts, streets, communities and grids on a plain background (no tile server)."""
    return render(request, "geo/map.html", {"center": DEFAULT_CENTER})
