// The card form of a self-serve signup. Works with Stripe.js and with localstripe's fake
// Stripe.js alike: it only uses card Elements, confirmCardSetup and confirmCardPayment.
(function () {
  "use strict";
  const form = document.getElementById("payment-form");
  if (!form) { return; }
  const data = form.dataset;
  const base = "/activate/" + data.customerId;
  const button = document.getElementById("pay-button");
  const message = document.getElementById("payment-message");
  const stripe = Stripe(data.publishableKey);
  const card = stripe.elements().create("card");
  card.mount("#card-element");
  let setupSecret = data.setupSecret;

  function say(text) { message.textContent = text; }

  async function post(path, body) {
    const response = await fetch(base + path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      credentials: "same-origin",
      body: JSON.stringify(Object.assign({ token: data.token }, body || {})),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      throw new Error(answer.message || "This link is not valid any more.");
    }
    return answer;
  }

  async function freshCardForm() {
    const answer = await post("/card-setup");
    setupSecret = answer.client_secret;
  }

  async function untilActive() {
    for (let i = 0; i < 60; i++) {
      const answer = await post("/status");
      if (answer.status === "active") {
        document.querySelectorAll("[data-until-paid]").forEach((element) => element.remove());
        form.replaceChildren();
        const done = document.createElement("p");
        done.textContent = "Payment received. Your account is active: a welcome email is on its way.";
        form.appendChild(done);
        document.querySelector("h1").textContent = "Your account is active";
        return;
      }
      if (answer.message) { say(answer.message); }
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    say("Payment received. We are still finishing your signup; you will get an email shortly.");
  }

  async function pay() {
    say("Checking your card…");
    const setup = await stripe.confirmCardSetup(setupSecret, {
      payment_method: { card: card, billing_details: { name: data.cardholder } },
    });
    if (setup.error) {
      await freshCardForm();
      return say(setup.error.message || "Your card could not be saved.");
    }
    say("Charging your card…");
    let answer = await post("/payment", { payment_method: setup.setupIntent.payment_method });
    if (answer.status === "requires_action") {
      const confirmed = await stripe.confirmCardPayment(answer.client_secret);
      if (confirmed.error) {
        await freshCardForm();
        return say(confirmed.error.message || "Your bank did not confirm the payment.");
      }
      answer = { status: "succeeded" };
    }
    if (answer.status === "succeeded") {
      say("Payment received. Finishing your signup…");
      return untilActive();
    }
    await freshCardForm();
    say(answer.message || "Your card was declined. Please try another card.");
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      await pay();
    } catch (error) {
      say(error.message);
    } finally {
      button.disabled = false;
    }
  });
})();
