#!/usr/bin/env python3
"""Log into a running Odoo with headless Chromium and save a screenshot of one screen.

Dev tool (not part of CI). Needs Debian's chromium + chromium-driver and `pip install selenium`.

    python3 tests/screenshot.py --url http://127.0.0.1:8069 --db omnichannel \
        --path /odoo/action-crm_chatbot_leads.chatbot_bot_action --out /tmp/bots.png
"""

import argparse
import sys
import time

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

CHROME_FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--path", default="/odoo", help="path opened after login")
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", default="1440,900")
    parser.add_argument("--wait", type=float, default=3.0, help="extra seconds for the screen to settle")
    parser.add_argument("--full", action="store_true", help="resize the window to the page height first")
    parser.add_argument("--click", action="append", default=[],
                        help="CSS selector to click once the screen loaded (repeatable), e.g. a dialog button")
    args = parser.parse_args()

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in CHROME_FLAGS + [f"--window-size={args.size}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(60)
    try:
        driver.get(f"{args.url}/web/login?db={args.db}")
        login = WebDriverWait(driver, 30).until(ec.element_to_be_clickable((By.ID, "login")))
        login.send_keys(args.login)
        driver.find_element(By.ID, "password").send_keys(args.password)
        driver.find_element(By.CSS_SELECTOR, ".oe_login_form button[type=submit]").click()
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".o_main_navbar")))
        driver.get(args.url + args.path)
        WebDriverWait(driver, 30).until(ec.presence_of_element_located((By.CSS_SELECTOR, ".o_action_manager > *")))
        time.sleep(args.wait)
        for selector in args.click:
            WebDriverWait(driver, 30).until(ec.element_to_be_clickable((By.CSS_SELECTOR, selector))).click()
            time.sleep(args.wait)
        if args.full:
            height = driver.execute_script("return document.body.scrollHeight")
            driver.set_window_size(int(args.size.split(",")[0]), max(height, 900))
            time.sleep(0.5)
        driver.save_screenshot(args.out)
        print(f"saved {args.out} ({driver.title})")
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
